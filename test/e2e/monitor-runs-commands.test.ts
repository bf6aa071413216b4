/**
 * A running monitor runs `deploy` and `status` for the `caxton` process that asks it to: the command sees
 * the client's arguments, working folder, environment and terminal, its output and exit code are the
 * client's, and whenever the monitor cannot take a command (another build, a monitor that is not one, one
 * that goes away) the client runs it itself or says what happened.
 */
import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer, type Server } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { monitorPlace } from "../../src/client/fs-monitor-client.js";
import { startServe, type ServeProcess } from "../../support/caxton-serve.js";
import { cleanup, runCli, runCliOnTerminal, tempDir, type CliResult } from "../support/caxton-process.js";

describe("commands the monitor runs", () => {
  let root = "";
  let ws = "";
  let server: ServeProcess;
  let env: Record<string, string> = {};
  let agent = "";
  const cli = (args: string[], cwd = ws, extra: Record<string, string> = {}): Promise<CliResult> =>
    runCli(args, { ...env, ...extra }, cwd);
  const commandsRun = async (): Promise<number> =>
    (await cli(["monitor", "status", "--json"])).json().commands as number;

  before(async () => {
    root = tempDir();
    ws = join(root, "ws");
    env = { CAXTON_STATE_DIR: join(root, "state") };
    server = await startServe({ dataDir: join(root, "data"), quiet: true });
    assert.equal((await runCli(["init", ws], env)).code, 0);
    // started without CAXTON_SERVER: the server a hosted command talks to comes from the client's environment
    const started = await cli(["monitor", "start", "--json"]);
    assert.equal(started.code, 0, started.stderr);
  });

  after(async () => {
    await cli(["monitor", "stop"]);
    await server.stop();
    cleanup(root);
  });

  it("deploy and status run in the monitor, with the client's environment and folder", async () => {
    const before = await commandsRun();
    const first = await cli(["deploy", "--json"], ws, { CAXTON_SERVER: server.url });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.json().success, true);
    appendFileSync(join(ws, "agents/coordinator.toml"), "\n# edited\n");
    // from a folder inside the workspace, as a user in agents/ would run it
    const edited = await cli(["deploy", "--json", "-m", "from agents/"], join(ws, "agents"), {
      CAXTON_SERVER: server.url,
    });
    assert.equal(edited.code, 0, edited.stderr);
    assert.deepEqual(edited.json().modified, ["agents/coordinator.toml"]);
    const status = await cli(["status", "--json"], join(ws, "agents"), { CAXTON_SERVER: server.url });
    assert.equal(status.code, 0, status.stderr);
    assert.equal(status.json().in_sync, true);
    assert.equal(status.json().server, server.url);
    // a relative DIR is the client's, not the monitor's
    const text = await cli(["status", "--offline", "ws"], root);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^Workspace .*\/ws\n/);
    assert.equal(await commandsRun(), before + 4);
  });

  it("errors keep their words, stream and exit code", async () => {
    const before = await commandsRun();
    const usage = await cli(["deploy", "--dry-rnu"]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /did you mean --dry-run/);
    assert.equal(usage.stdout, "");
    writeFileSync(join(ws, "agents/broken.toml"), "name = \n");
    const invalid = await cli(["deploy", "--server", server.url]);
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /agents\/broken\.toml/);
    assert.doesNotMatch(invalid.stderr, /\n\s+at /); // no stack trace
    const json = await cli(["deploy", "--server", server.url, "--json"]);
    assert.equal(json.code, 1);
    assert.equal((json.json().error as { code: string }).code, "E_VALIDATION");
    rmSync(join(ws, "agents/broken.toml"));
    const down = await cli(["deploy", "--server", "http://127.0.0.1:9", "--json"]);
    assert.equal(down.code, 3);
    assert.equal((down.json().error as { code: string }).code, "E_UNREACHABLE");
    assert.equal(await commandsRun(), before + 4);
  });

  it("a question goes to the client's terminal, and its answer back", async () => {
    const before = await commandsRun();
    agent = readFileSync(join(ws, "agents/coordinator.toml"), "utf8");
    rmSync(join(ws, "agents"), { recursive: true, force: true });
    mkdirSync(join(ws, "agents"));
    const no = runCliOnTerminal(["deploy", ws, "--server", server.url], env, { input: "n\n" });
    assert.equal(no.status, 1, no.output);
    assert.match(no.output, /anyway, deleting these from .*\? \[y\/N\]/);
    const yes = runCliOnTerminal(["deploy", ws, "--server", server.url], env, { input: "y\n" });
    assert.equal(yes.status, 0, yes.output);
    assert.match(yes.output, /Deployed #\d+/);
    assert.equal(await commandsRun(), before + 2);
  });

  it("two clients at once: each command runs whole, one after the other", async () => {
    writeFileSync(join(ws, "agents/coordinator.toml"), agent);
    const before = await commandsRun();
    const [deploy, status] = await Promise.all([
      cli(["deploy", "--server", server.url, "--json", "--yes"]),
      cli(["status", "--server", server.url, "--json"]),
    ]);
    assert.equal(deploy.code, 0, deploy.stderr);
    assert.equal(deploy.json().success, true);
    assert.equal(status.code, 0, status.stderr);
    assert.equal(typeof status.json().in_sync, "boolean");
    assert.equal(await commandsRun(), before + 2);
  });

  it("help, --watch and other commands run in the client itself", async () => {
    const before = await commandsRun();
    const help = await cli(["deploy", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^usage: caxton deploy/);
    assert.equal((await cli(["validate"])).code, 0);
    assert.equal(await commandsRun(), before);
  });

  it("a monitor of another build declines, and says why", async () => {
    const place = monitorPlace(env.CAXTON_STATE_DIR as string, ws);
    const request = {
      op: "run",
      build: "0.0.0:elsewhere",
      argv: ["status", "--offline"],
      cwd: ws,
      env: {},
      tty: { stdin: false, stdout: false, stderr: false, columns: null },
    };
    const reply = await new Promise<string>((resolve, reject) => {
      let text = "";
      const c = connect(place.socket, () => c.write(`${JSON.stringify(request)}\n`));
      c.on("data", (d: Buffer) => (text += d.toString()));
      c.on("close", () => resolve(text));
      c.on("error", reject);
    });
    assert.deepEqual(JSON.parse(reply.trim()), { declined: "the monitor runs another build of caxton" });
  });

  it("a socket that declines or goes away: the command runs here, or says the monitor went away", async () => {
    const other = join(root, "other");
    assert.equal((await runCli(["init", other], env)).code, 0);
    const place = monitorPlace(env.CAXTON_STATE_DIR as string, other);
    mkdirSync(join(place.socket, ".."), { recursive: true, mode: 0o700 });
    const serveFake = (reply: string): Promise<Server> =>
      new Promise((resolve) => {
        const fake = createServer((c) => c.once("data", () => c.end(reply)));
        fake.listen(place.socket, () => resolve(fake));
      });
    const close = (s: Server): Promise<void> => new Promise((resolve) => s.close(() => resolve()));
    let fake = await serveFake('{"declined":"busy"}\n');
    try {
      const r = await cli(["status", "--offline", "--json", other]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json().in_sync, false);
    } finally {
      await close(fake);
    }
    fake = await serveFake('{"accepted":true}\n{"out":"Deploying…\\n"}\n');
    try {
      const r = await cli(["deploy", other, "--server", server.url]);
      assert.equal(r.code, 3, r.stderr);
      assert.equal(r.stdout, "Deploying…\n");
      assert.match(r.stderr, /^error: the file-system monitor that was running this command stopped/);
      assert.match(r.stderr, /\nhint: run the command again/);
    } finally {
      await close(fake);
    }
  });
});
