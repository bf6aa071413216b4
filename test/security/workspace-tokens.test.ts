/**
 * Scoped tokens against every endpoint: a workspace's token reads and deploys its own workspace only (403
 * with one sentence naming the workspace it is for), a read token never deploys or rolls back, the admin
 * token does everything, /metrics is the admin's, and a workspace is created only by the admin or a deploy
 * token of that very name. Several token files, several tokens a file; the CLI picks its line.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, runCli, startServe, tempDir } from "../support/caxton-process.js";
import { serverEnv, stopBackends } from "../support/store-backends.js";

after(() => stopBackends());

const ADMIN = "admin-secret-0123456789abcdef";
const A_DEPLOY = "team-a-deploy-0123456789abcdef";
const A_READ = "team-a-read-0123456789abcdef";
const B_DEPLOY = "team-b-deploy-0123456789abcdef";
const D_DEPLOY = "team-d-deploy-0123456789abcdef";
const E_READ = "team-e-read-0123456789abcdef";

interface ErrorBody {
  error: { code: string; message: string; hint: string | null };
}

describe("workspace tokens (file store)", () => {
  test("scopes and roles on every endpoint", async () => {
    const root = tempDir("caxton-wstok-");
    const env = { CAXTON_STATE_DIR: join(root, "state") };
    const first = join(root, "tokens");
    const second = join(root, "more-tokens");
    writeFileSync(
      first,
      `# the admin, then team-a's\n${ADMIN}\n${A_DEPLOY} workspace=team-a\n${A_READ} role=read workspace=team-a\n`,
      { mode: 0o600 },
    );
    writeFileSync(
      second,
      `${B_DEPLOY} workspace=team-b role=deploy\n${D_DEPLOY} workspace=team-d\n${E_READ} workspace=team-e role=read\n`,
      { mode: 0o600 },
    );
    const server = await startServe({
      dataDir: join(root, "data"),
      env: await serverEnv("file"),
      args: ["--token-file", first, "--token-file", second],
    });
    const call = (token: string | null, method: string, path: string): Promise<Response> =>
      fetch(`${server.url}${path}`, {
        method,
        headers: {
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
          ...(method === "POST" ? { "Content-Type": "application/json" } : {}),
        },
        ...(method === "POST" ? { body: "{}" } : {}),
      });
    try {
      const ws = join(root, "ws");
      assert.equal((await runCli(["init", ws])).code, 0);
      for (const name of ["team-a", "team-b"]) {
        const r = await runCli(
          ["deploy", ws, "--server", server.url, "--token", ADMIN, "--workspace", name],
          env,
        );
        assert.equal(r.code, 0, r.stderr);
      }
      writeFileSync(join(ws, "b-only.txt"), "team-b's alone\n");
      const db = await runCli(
        ["deploy", ws, "--server", server.url, "--token-file", second, "--workspace", "team-b", "--json"],
        env,
      );
      assert.equal(db.code, 0, db.stderr);
      const bRoot = db.json().deployed_checksum as string;
      const manifest = (await (
        await call(B_DEPLOY, "GET", "/api/v1/workspaces/team-b/deployment/manifest")
      ).json()) as { deployment_id: number; files: Record<string, string> };
      const bOnly = manifest.files["b-only.txt"] as string;
      const bId = manifest.deployment_id;

      const endpoints = (ws: string): [string, string][] => [
        ["GET", `/api/v1/workspaces/${ws}/deployment`],
        ["GET", `/api/v1/workspaces/${ws}/deployments`],
        ["GET", `/api/v1/workspaces/${ws}/deployment/manifest`],
        ["GET", `/api/v1/workspaces/${ws}/agents`],
        ["GET", `/api/v1/workspaces/${ws}/agents/coordinator`],
        ["GET", `/api/v1/workspaces/${ws}/manifests/${bRoot}`],
        ["GET", `/api/v1/workspaces/${ws}/objects/${bOnly}`],
        ["GET", `/api/v1/workspaces/${ws}/deployments/${bId}/changes`],
        ["GET", `/api/v1/workspaces/${ws}/events`],
        ["POST", `/api/v1/workspaces/${ws}/negotiate`],
        ["POST", `/api/v1/workspaces/${ws}/deployments`],
        ["POST", `/api/v1/workspaces/${ws}/rollback`],
      ];

      // team-a's tokens against team-b, and against the un-prefixed default workspace: 403, one sentence
      for (const token of [A_DEPLOY, A_READ]) {
        for (const [method, path] of endpoints("team-b")) {
          const res = await call(token, method, path);
          assert.equal(res.status, 403, `${method} ${path}`);
          const { error } = (await res.json()) as ErrorBody;
          assert.equal(error.code, "E_WRONG_WORKSPACE");
          assert.equal(error.message, 'this token is for workspace "team-a", not "team-b"');
        }
        for (const path of ["/api/v1/deployment", "/api/v1/agents", "/api/v1/events"]) {
          const res = await call(token, "GET", path);
          assert.equal(res.status, 403, path);
          assert.match(
            ((await res.json()) as ErrorBody).error.message,
            /for workspace "team-a", not "default"/,
          );
        }
      }
      // the read token reads its own workspace (team-b's object and tree are not in it) but changes nothing
      for (const [method, path] of endpoints("team-a")) {
        const res = await call(A_READ, method, path);
        if (method === "POST") {
          assert.equal(res.status, 403, path);
          const { error } = (await res.json()) as ErrorBody;
          assert.equal(error.code, "E_READ_ONLY");
          assert.match(
            error.message,
            /^this token is read-only: it may read workspace "team-a" but not deploy/,
          );
        } else if (path.includes("/objects/") || path.includes("/manifests/") || path.includes("/changes")) {
          assert.equal(res.status, 404, path);
          await res.body?.cancel();
        } else {
          assert.equal(res.status, 200, path);
          await res.body?.cancel();
        }
      }
      // team-b's own token reads its object and tree; the admin reads anything
      assert.equal((await call(B_DEPLOY, "GET", `/api/v1/workspaces/team-b/objects/${bOnly}`)).status, 200);
      assert.equal((await call(B_DEPLOY, "GET", `/api/v1/workspaces/team-b/manifests/${bRoot}`)).status, 200);
      assert.equal((await call(ADMIN, "GET", `/api/v1/workspaces/team-a/objects/${bOnly}`)).status, 200);
      assert.equal((await call(null, "GET", "/api/v1/workspaces/team-a/agents")).status, 401);
      assert.equal((await call("not-a-token-at-all-xyz", "GET", "/api/v1/workspaces")).status, 401);

      // the list: the admin sees all, a scoped token its own
      const names = async (token: string): Promise<string[]> =>
        (
          (await (await call(token, "GET", "/api/v1/workspaces")).json()) as {
            workspaces: { name: string }[];
          }
        ).workspaces.map((w) => w.name);
      assert.deepEqual(await names(ADMIN), ["default", "team-a", "team-b"]);
      assert.deepEqual(await names(A_READ), ["team-a"]);
      assert.deepEqual(await names(D_DEPLOY), []);
      // metrics cover every workspace: the admin's
      const metrics = await call(A_DEPLOY, "GET", "/metrics");
      assert.equal(metrics.status, 403);
      assert.equal(((await metrics.json()) as ErrorBody).error.code, "E_ADMIN_ONLY");
      const adminMetrics = await call(ADMIN, "GET", "/metrics");
      assert.equal(adminMetrics.status, 200);
      const text = await adminMetrics.text();
      assert.match(text, /caxton_deployments_total\{kind="deploy",outcome="applied",workspace="team-b"\} 2/);
      assert.match(text, /caxton_live_agents\{workspace="team-a"\} 3/);

      // the CLI: the token file's line for the workspace; a wrong one exits 4 with the server's sentence
      const da = await runCli(
        ["deploy", ws, "--server", server.url, "--token-file", first, "--workspace", "team-a"],
        env,
      );
      assert.equal(da.code, 0, da.stderr);
      const rb = await runCli(
        ["rollback", "--server", server.url, "--token-file", first, "--workspace", "team-a", "--json"],
        env,
      );
      assert.equal(rb.code, 0, rb.stderr);
      const wrong = await runCli(
        ["log", "--server", server.url, "--token", A_DEPLOY, "--workspace", "team-b"],
        env,
      );
      assert.equal(wrong.code, 4);
      assert.match(wrong.stderr, /this token is for workspace "team-a", not "team-b"/);
      const readOnly = await runCli(
        ["deploy", ws, "--server", server.url, "--token", A_READ, "--workspace", "team-a"],
        env,
      );
      assert.equal(readOnly.code, 4);
      assert.match(readOnly.stderr, /read-only/);
      assert.ok(!readOnly.stderr.includes(A_READ));

      // creating a workspace: the admin, or a deploy token of that very name; never another's or a reader
      const create = (token: string, name: string) =>
        runCli(["deploy", ws, "--server", server.url, "--token", token, "--workspace", name], env);
      assert.equal((await create(B_DEPLOY, "team-c")).code, 4);
      assert.equal((await create(E_READ, "team-e")).code, 4);
      const d = await create(D_DEPLOY, "team-d");
      assert.equal(d.code, 0, d.stderr);
      assert.equal((await create(ADMIN, "team-f")).code, 0);
      assert.deepEqual(await names(ADMIN), ["default", "team-a", "team-b", "team-d", "team-f"]);
      assert.deepEqual(await names(D_DEPLOY), ["team-d"]);
    } finally {
      await server.stop();
      cleanup(root);
    }
  });

  test("caxton token create --workspace --role writes a line the server and the client read", async () => {
    const root = tempDir("caxton-wstok-");
    try {
      const file = join(root, "tokens");
      assert.equal((await runCli(["token", "create", file])).code, 0);
      const add = await runCli([
        "token",
        "create",
        file,
        "--append",
        "--workspace",
        "team-a",
        "--role",
        "read",
      ]);
      assert.equal(add.code, 0, add.stderr);
      assert.match(add.stdout, /added a read token for workspace team-a/);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const lines = readFileSync(file, "utf8").trimEnd().split("\n");
      assert.equal(lines.length, 2);
      assert.match(lines[0] ?? "", /^[A-Za-z0-9_-]{43}$/);
      assert.match(lines[1] ?? "", /^[A-Za-z0-9_-]{43} workspace=team-a role=read$/);
      for (const [args, message] of [
        [["--role", "read"], /--role goes with --workspace/],
        [["--workspace", "team-a", "--role", "admin"], /--role takes read or deploy/],
        [["--workspace", "Team"], /"Team" is not a workspace name/],
      ] as const) {
        const r = await runCli(["token", "create", ...args]);
        assert.equal(r.code, 2);
        assert.match(r.stderr, message);
      }
      const printed = await runCli(["token", "create", "--workspace", "ops"]);
      assert.match(printed.stdout, /^[A-Za-z0-9_-]{43} workspace=ops role=deploy\n$/);
      // a malformed line is refused at start with its line number, the secret never shown
      const bad = join(root, "bad");
      writeFileSync(bad, `${ADMIN}\n${A_DEPLOY} team=a\n`, { mode: 0o600 });
      const serve = await runCli(["serve", "--data-dir", join(root, "data"), "--token-file", bad]);
      assert.equal(serve.code, 2);
      assert.match(serve.stderr, /line 2: expected workspace=NAME or role=ROLE/);
      assert.ok(!serve.stderr.includes(A_DEPLOY));
    } finally {
      cleanup(root);
    }
  });
});
