/**
 * The client side of security through the real CLI: bearer tokens (flag, environment, file), HTTPS with a
 * private CA generated here, and conflicts between several deployers (Caxton ADR-0045).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, runCli, startServe, tempDir } from "../support/caxton-process.js";
import { snapshot } from "../support/tree-snapshot.js";

describe("tokens", () => {
  test("a server with a token refuses clients without it and accepts flag, env and file", async () => {
    const root = tempDir();
    const tokenFile = join(root, "token");
    const created = await runCli(["token", "create", tokenFile]);
    assert.equal(created.code, 0, created.stderr);
    const token = readFileSync(tokenFile, "utf8").trim();
    assert.ok(token.length >= 40);
    const server = await startServe({ dataDir: join(root, "data"), args: ["--token-file", tokenFile] });
    const ws = join(root, "ws");
    const env = { CAXTON_STATE_DIR: join(root, "state") };
    try {
      await runCli(["init", ws]);
      const denied = await runCli(["deploy", ws, "--server", server.url], env);
      assert.equal(denied.code, 4, "not authorized has its own exit code");
      assert.match(denied.stderr, /requires a token/);
      assert.match(denied.stderr, /--token/);
      const wrong = await runCli(["deploy", ws, "--server", server.url, "--token", "x".repeat(43)], env);
      assert.equal(wrong.code, 4);
      assert.match(wrong.stderr, /not accepted/);
      assert.doesNotMatch(wrong.stderr, /xxxxxxxx/, "the token is never echoed");
      const byFlag = await runCli(["deploy", ws, "--server", server.url, "--token", token, "--json"], env);
      assert.equal(byFlag.code, 0, byFlag.stderr);
      writeFileSync(join(ws, "n.txt"), "n\n");
      const byEnv = await runCli(["deploy", ws, "--server", server.url], { ...env, CAXTON_TOKEN: token });
      assert.equal(byEnv.code, 0, byEnv.stderr);
      const byFile = await runCli(["log", "--server", server.url, "--token-file", tokenFile, "--json"]);
      assert.equal(byFile.code, 0, byFile.stderr);
      assert.equal((byFile.json() as { deployments: unknown[] }).deployments.length, 2);
      assert.doesNotMatch(server.stderr(), new RegExp(token), "the server never logs the token");
      const state = readFileSync(join(root, "state", "state.db"));
      assert.equal(state.includes(Buffer.from(token)), false, "the local state never stores the token");
    } finally {
      await server.stop();
      cleanup(root);
    }
  });
});

describe("https", () => {
  test("the client verifies the server's certificate; --ca trusts a private CA", async () => {
    const root = tempDir();
    const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: root, stdio: "ignore" });
    ssl(
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-days",
      "2",
      "-subj",
      "/CN=Caxton test CA",
    );
    ssl(
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "server.key",
      "-out",
      "server.csr",
      "-subj",
      "/CN=127.0.0.1",
    );
    writeFileSync(join(root, "san.ext"), "subjectAltName=IP:127.0.0.1\n");
    ssl(
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "server.pem",
      "-days",
      "2",
      "-extfile",
      "san.ext",
    );
    const server = await startServe({
      dataDir: join(root, "data"),
      args: ["--tls-cert", join(root, "server.pem"), "--tls-key", join(root, "server.key")],
    });
    const ws = join(root, "ws");
    const env = { CAXTON_STATE_DIR: join(root, "state") };
    try {
      assert.match(server.url, /^https:\/\//);
      await runCli(["init", ws]);
      const untrusted = await runCli(["deploy", ws, "--server", server.url], env);
      assert.equal(untrusted.code, 3);
      assert.match(untrusted.stderr, /certificate this client does not trust/);
      assert.match(untrusted.stderr, /--ca/);
      const ok = await runCli(
        ["deploy", ws, "--server", server.url, "--ca", join(root, "ca.pem"), "--json"],
        env,
      );
      assert.equal(ok.code, 0, ok.stderr);
      assert.deepEqual(snapshot(join(root, "data", "current")), snapshot(ws));
    } finally {
      await server.stop();
      cleanup(root);
    }
  });
});

/** Two people deploying the same workspace to one server, each with their own local state. */
function deployers(root: string, server: string) {
  const alice = { ws: join(root, "alice"), env: { CAXTON_STATE_DIR: join(root, "state-a") } };
  const bob = { ws: join(root, "bob"), env: { CAXTON_STATE_DIR: join(root, "state-b") } };
  const deploy = (who: typeof alice, ...extra: string[]) =>
    runCli(
      ["deploy", who.ws, "--server", server, "--as", who === alice ? "alice" : "bob", ...extra],
      who.env,
    );
  /** alice scaffolds and deploys the workspace; bob copies it and deploys (up to date, he learns the base) */
  const bothDeployed = async (): Promise<void> => {
    await runCli(["init", alice.ws]);
    assert.equal((await deploy(alice)).code, 0);
    cpSync(alice.ws, bob.ws, { recursive: true });
    assert.equal((await deploy(bob)).code, 0, "bob's first deploy: up to date, learns the base");
  };
  return { alice, bob, deploy, bothDeployed };
}

describe("several deployers", () => {
  test("a stale client changing a file someone else changed is rejected, naming who; --force overrides", async () => {
    const root = tempDir();
    const server = await startServe({ dataDir: join(root, "data") });
    const { alice, bob, deploy, bothDeployed } = deployers(root, server.url);
    try {
      await bothDeployed();
      const agent = "agents/coordinator.toml";
      const edit = (ws: string, from: string, to: string) =>
        writeFileSync(join(ws, agent), readFileSync(join(ws, agent), "utf8").replace(from, to));
      edit(alice.ws, 'version = "1.0.0"', 'version = "1.1.0"');
      assert.equal((await deploy(alice)).code, 0);
      // bob changes the same file from the old base, and another file nobody else touched
      edit(bob.ws, 'version = "1.0.0"', 'version = "1.0.1"');
      writeFileSync(join(bob.ws, "bob.txt"), "mine\n");
      const rejected = await deploy(bob);
      assert.equal(rejected.code, 1, rejected.stdout + rejected.stderr);
      assert.match(rejected.stderr, /agents\/coordinator\.toml: changed on the server by alice at /);
      assert.match(rejected.stderr, /--force/);
      assert.match(readFileSync(join(root, "data", "current", agent), "utf8"), /1\.1\.0/, "nothing applied");
      const json = await deploy(bob, "--json");
      const out = json.json() as {
        error: { code: string };
        conflicts: { path: string; changed_by: string }[];
      };
      assert.equal(out.error.code, "E_CONFLICT");
      assert.deepEqual(
        out.conflicts.map((c) => [c.path, c.changed_by]),
        [[agent, "alice"]],
      );
      // files nobody else touched deploy normally
      edit(bob.ws, 'version = "1.0.1"', 'version = "1.1.0"');
      const same = await deploy(bob, "--json");
      assert.equal(same.code, 0, "the same change as alice's is no conflict");
      edit(alice.ws, 'version = "1.1.0"', 'version = "2.0.0"');
      assert.equal((await deploy(alice)).code, 0);
      edit(bob.ws, 'version = "1.1.0"', 'version = "3.0.0"');
      const forced = await deploy(bob, "--force");
      assert.equal(forced.code, 0, forced.stderr);
      assert.match(readFileSync(join(root, "data", "current", agent), "utf8"), /3\.0\.0/);
    } finally {
      await server.stop();
      cleanup(root);
    }
  });

  test("a client whose base was pruned and collected deploys without false conflicts", async () => {
    const root = tempDir();
    // keep one deployment, no grace: the base's tree objects are gone by the time bob deploys
    const server = await startServe({
      dataDir: join(root, "data"),
      args: ["--keep", "1", "--gc-grace", "0"],
    });
    const { alice, bob, deploy, bothDeployed } = deployers(root, server.url);
    try {
      await bothDeployed();
      const baseRoot = readlinkSync(join(root, "data", "current"));
      // enough deployments that the server's few cached manifests no longer hold the base's
      for (let i = 1; i <= 5; i++) {
        writeFileSync(join(alice.ws, "alice.txt"), `hers, version ${i}\n`);
        assert.equal((await deploy(alice)).code, 0);
      }
      assert.equal(existsSync(join(root, "data", baseRoot)), false, "the base deployment was pruned");
      // a file alice never touched: no conflict, whether or not the base can be compared
      const agent = join(bob.ws, "agents/coordinator.toml");
      writeFileSync(agent, readFileSync(agent, "utf8").replace('version = "1.0.0"', 'version = "1.0.1"'));
      writeFileSync(join(bob.ws, "bob.txt"), "mine\n");
      const res = await deploy(bob, "--json");
      assert.equal(res.code, 0, res.stdout + res.stderr);
      assert.doesNotMatch(res.stdout, /E_CONFLICT/);
      // the base cannot be compared, so the client's tree wins, as without a base
      assert.equal(readFileSync(join(root, "data", "current", "bob.txt"), "utf8"), "mine\n");
      assert.match(readFileSync(join(root, "data", "current", "agents/coordinator.toml"), "utf8"), /1\.0\.1/);
      assert.equal(existsSync(join(root, "data", "current", "alice.txt")), false);
    } finally {
      await server.stop();
      cleanup(root);
    }
  });
});
