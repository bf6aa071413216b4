/**
 * `caxton monitor`: a real background monitor on a real workspace. With it, a scan stats only what changed;
 * every deploy must still ship exactly the workspace (compared with the server's DATA/current), through
 * edits, additions, removals, writes made just before the deploy, new folders, ignore-rule changes, a
 * restarted monitor and one killed outright.
 */
import assert from "node:assert/strict";
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import ignore from "ignore";
import { connect, createServer } from "node:net";
import { monitorPlace } from "../../src/client/fs-monitor-client.js";
import { startServe, type ServeProcess } from "../../support/caxton-serve.js";
import { cleanup, runCli, tempDir, type CliResult } from "../support/caxton-process.js";
import { snapshot } from "../support/tree-snapshot.js";

describe("caxton monitor", () => {
  let root = "";
  let ws = "";
  let server: ServeProcess;
  let env: Record<string, string> = {};
  const cli = (...args: string[]): Promise<CliResult> => runCli(args, env, ws);

  /** deploys, checks that the server now holds exactly the workspace, and says how the scan was made */
  const deployAndCheck = async (): Promise<{ monitor: boolean; json: Record<string, unknown> }> => {
    const r = await cli("deploy", "--server", server.url, "--json", "--yes");
    assert.equal(r.code, 0, r.stderr);
    const json = r.json();
    const live = snapshot(join(server.dataDir, "current"));
    const rules = ignore().add(readFileSync(join(ws, ".caxtonignore"), "utf8"));
    const local = new Map([...snapshot(ws)].filter(([p]) => p === ".caxtonignore" || !rules.ignores(p)));
    assert.deepEqual([...live.keys()].sort(), [...local.keys()].sort());
    for (const [path, content] of local) assert.equal(live.get(path), content, path);
    return { monitor: (json.scan as { monitor: boolean }).monitor, json };
  };

  before(async () => {
    root = tempDir();
    ws = join(root, "ws");
    env = { CAXTON_STATE_DIR: join(root, "state") };
    server = await startServe({ dataDir: join(root, "data"), quiet: true });
    assert.equal((await runCli(["init", ws], env)).code, 0);
    appendFileSync(join(ws, ".caxtonignore"), "*.tmp\n");
  });

  after(async () => {
    await runCli(["monitor", "stop", ws], env);
    await server.stop();
    cleanup(root);
  });

  it("starts once, reports itself, and is found again by a second start", async () => {
    const none = await cli("monitor", "status", "--json");
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.json().running, false);
    const a = await cli("monitor", "start", "--json");
    assert.equal(a.code, 0, a.stderr);
    const b = await cli("monitor", "start", "--json");
    assert.equal(b.json().pid, a.json().pid);
    const s = await cli("monitor", "status", "--json");
    assert.equal(s.json().running, true);
    assert.ok((s.json().folders as number) >= 3);
    const text = await cli("monitor", "status");
    assert.match(text.stdout, /^monitoring .* since .* \(pid \d+, \d+ folders, \d+ changes seen\)\n$/);
  });

  it("the first scan walks; later ones take the monitor's word, and ship every change", async () => {
    assert.equal((await deployAndCheck()).monitor, false);
    const unchanged = await deployAndCheck();
    assert.equal(unchanged.monitor, true);
    assert.equal(unchanged.json.up_to_date, true);
    appendFileSync(join(ws, "agents/code-reviewer.toml"), "\n# reviewed\n");
    const edited = await deployAndCheck();
    assert.equal(edited.monitor, true);
    assert.deepEqual(edited.json.modified, ["agents/code-reviewer.toml"]);
    writeFileSync(join(ws, "agents/researcher/notes.md"), "new notes\n");
    rmSync(join(ws, "agents/researcher/prompt-notes.md"));
    const moved = await deployAndCheck();
    assert.equal(moved.monitor, true);
    assert.deepEqual(moved.json.added, ["agents/researcher/notes.md"]);
    assert.deepEqual(moved.json.deleted, ["agents/researcher/prompt-notes.md"]);
    // an ignored file changes nothing
    writeFileSync(join(ws, "agents/draft.tmp"), "scratch\n");
    const ignored = await deployAndCheck();
    assert.equal(ignored.json.up_to_date, true);
  });

  it("a write made just before the deploy is in it (the monitor's barrier)", async () => {
    for (let i = 0; i < 8; i++) {
      writeFileSync(join(ws, "agents/researcher/notes.md"), `notes, version ${i}\n`);
      const d = await deployAndCheck();
      assert.equal(d.monitor, true);
      assert.deepEqual(d.json.modified, ["agents/researcher/notes.md"], `round ${i}`);
    }
  });

  it("what it cannot vouch for is walked: a new folder, a new ignore rule", async () => {
    mkdirSync(join(ws, "agents/team"));
    writeFileSync(join(ws, "agents/team/notes.md"), "team\n");
    const folder = await deployAndCheck();
    assert.equal(folder.monitor, false);
    assert.deepEqual(folder.json.added, ["agents/team/notes.md"]);
    // the walk took a fresh token: the next change is the monitor's again, inside the new folder too
    appendFileSync(join(ws, "agents/team/notes.md"), "more\n");
    assert.equal((await deployAndCheck()).monitor, true);
    appendFileSync(join(ws, ".caxtonignore"), "agents/team/\n");
    const rules = await deployAndCheck();
    assert.equal(rules.monitor, false);
    assert.deepEqual(rules.json.deleted, ["agents/team/notes.md"]);
  });

  it("a folder removed and made again under its name is watched again", async () => {
    const team = join(ws, "agents/crew");
    mkdirSync(team, { recursive: true });
    writeFileSync(join(team, "notes.md"), "first\n");
    await deployAndCheck(); // a new folder: walked
    rmSync(team, { recursive: true });
    mkdirSync(team);
    writeFileSync(join(team, "notes.md"), "second\n");
    await deployAndCheck(); // the folder came back: walked, and watched anew
    appendFileSync(join(team, "notes.md"), "third\n");
    const edited = await deployAndCheck();
    assert.equal(edited.monitor, true);
    assert.deepEqual(edited.json.modified, ["agents/crew/notes.md"]);
    rmSync(team, { recursive: true });
    assert.deepEqual((await deployAndCheck()).json.deleted, ["agents/crew/notes.md"]);
  });

  it("a restarted monitor, or one killed outright, costs a walk and nothing else", async () => {
    const stop = await cli("monitor", "stop");
    assert.match(stop.stdout, /^stopped the monitor of /);
    assert.equal((await cli("monitor", "start")).code, 0);
    appendFileSync(join(ws, "agents/coordinator.toml"), "\n# again\n");
    const restarted = await deployAndCheck();
    assert.equal(restarted.monitor, false);
    assert.deepEqual(restarted.json.modified, ["agents/coordinator.toml"]);
    const pid = (await cli("monitor", "status", "--json")).json().pid as number;
    process.kill(pid, "SIGKILL");
    await new Promise((r) => setTimeout(r, 200));
    appendFileSync(join(ws, "agents/coordinator.toml"), "# and again\n");
    const killed = await deployAndCheck(); // a socket nobody answers on: walked, without waiting long
    assert.equal(killed.monitor, false);
    assert.deepEqual(killed.json.modified, ["agents/coordinator.toml"]);
    assert.equal((await cli("monitor", "status", "--json")).json().running, false);
    const again = await cli("monitor", "start", "--json");
    assert.equal(again.code, 0, again.stderr);
    assert.notEqual(again.json().pid, pid);
  });

  it("stops by itself when its workspace goes away", async () => {
    const other = join(root, "gone");
    assert.equal((await runCli(["init", other], env)).code, 0);
    const started = await runCli(["monitor", "start", other, "--json"], env);
    assert.equal(started.code, 0, started.stderr);
    const pid = started.json().pid as number;
    rmSync(other, { recursive: true, force: true });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && isAlive(pid)) await new Promise((r) => setTimeout(r, 100));
    assert.equal(isAlive(pid), false);
  });

  it("garbage on its socket is refused, and the monitor goes on answering", async () => {
    const place = monitorPlace(env.CAXTON_STATE_DIR as string, ws);
    for (const junk of ["not json\n", '{"op":"nope"}\n', "[1,2]\n", `${"x".repeat(10_000)}\n`]) {
      await new Promise<void>((resolve) => {
        const c = connect(place.socket, () => c.end(junk));
        c.on("data", () => {});
        c.on("error", () => resolve());
        c.on("close", () => resolve());
      });
    }
    assert.equal((await cli("monitor", "status", "--json")).json().running, true);
    assert.equal((await deployAndCheck()).json.up_to_date, true);
  });

  it("a socket that answers nonsense is no monitor: the scan walks", async () => {
    const other = join(root, "hostile");
    assert.equal((await runCli(["init", other], env)).code, 0);
    const place = monitorPlace(env.CAXTON_STATE_DIR as string, other);
    mkdirSync(join(place.socket, ".."), { recursive: true, mode: 0o700 });
    const answers = [
      '{"token":5}',
      '{"token":"x","paths":[1]}',
      "\u0000\u0001",
      '{"token":"x","paths":"all"}',
    ];
    let n = 0;
    const fake = createServer((c) => {
      c.on("data", () => c.end(`${answers[n++ % answers.length]}\n`));
    });
    await new Promise<void>((resolve) => fake.listen(place.socket, resolve));
    try {
      for (let i = 0; i < answers.length; i++) {
        const r = await runCli(
          ["deploy", other, "--server", server.url, "--json", "--yes", "--dry-run"],
          env,
        );
        assert.equal(r.code, 0, r.stderr);
        assert.equal((r.json().scan as { monitor: boolean }).monitor, false);
      }
    } finally {
      await new Promise<void>((resolve) => fake.close(() => resolve()));
    }
  });

  it("refuses an unknown subcommand with exit 2", async () => {
    const r = await cli("monitor", "begin");
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown monitor subcommand "begin"/);
    assert.ok(existsSync(ws) && readdirSync(ws).length > 0);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
