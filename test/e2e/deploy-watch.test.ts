/**
 * End-to-end `caxton deploy --watch`: the real CLI watching a temp workspace, the real server on 127.0.0.1:0.
 * Every wait is on a condition (a line printed, a file live in DATA/current) with a generous time-out, so a
 * slow, loaded machine makes the test slower, not red.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import {
  cleanup,
  runCli,
  startCliProcess,
  startServe,
  tempDir,
  type CliProcess,
  type ServeProcess,
} from "../support/caxton-process.js";

const LONG = 60_000;

interface Ctx {
  root: string;
  ws: string;
  state: string;
  server: ServeProcess;
}

async function setup(): Promise<Ctx> {
  const root = tempDir("caxton-watch-");
  const ws = join(root, "ws");
  const init = await runCli(["init", ws]);
  assert.equal(init.code, 0, init.stderr);
  const server = await startServe({ dataDir: join(root, "data") });
  return { root, ws, state: join(root, "state"), server };
}

function startWatch(ctx: Ctx, ...extra: string[]): CliProcess {
  return startCliProcess(["deploy", ctx.ws, "--server", ctx.server.url, "--watch", ...extra], {
    CAXTON_STATE_DIR: ctx.state,
  });
}

function live(ctx: Ctx, path: string): string | null {
  try {
    return readFileSync(join(ctx.server.dataDir, "current", path), "utf8");
  } catch {
    return null;
  }
}

async function until(what: string, cond: () => boolean, timeoutMs = LONG): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const deployLines = (w: CliProcess): string[] =>
  w
    .stdout()
    .split("\n")
    .filter((l) => / ✓ (deployed|up to date)/.test(l));

const agent = (name: string, extra = ""): string =>
  `name = "${name}"
version = "1.0.0"
capabilities = ["testing"]
system_prompt = "You are ${name}."
user_prompt_template = "Task: {task}"
${extra}
[tools]
available = ["delegate_task"]
`;

describe("deploy --watch", () => {
  let ctx: Ctx;
  let w: CliProcess;
  before(async () => {
    ctx = await setup();
    w = startWatch(ctx);
    await w.waitForLine(/ ✓ deployed #1 /, LONG);
  });
  after(async () => {
    if (w.child.exitCode === null) w.child.kill("SIGKILL");
    await ctx.server.stop();
    cleanup(ctx.root);
  });

  test("an edit is live after one round trip, without a walk", async () => {
    const from = w.stdout().length;
    appendFileSync(join(ctx.ws, "agents/coordinator.toml"), "# edited once\n");
    const line = await w.waitForLine(/ ✓ deployed #\d+ /, LONG, from);
    assert.match(line, /~agents\/coordinator\.toml · 1 round trip · (\d+ ms|\d+\.\d+ s)$/);
    assert.match(live(ctx, "agents/coordinator.toml") ?? "", /# edited once\n$/);
  });

  test("a burst of saves is coalesced and every file goes live", async () => {
    const before = deployLines(w).length;
    const from = w.stdout().length;
    for (let i = 0; i < 5; i++) writeFileSync(join(ctx.ws, `agents/burst-${i}.toml`), agent(`burst-${i}`));
    appendFileSync(join(ctx.ws, "agents/coordinator.toml"), "# burst\n");
    await until("the burst to be live", () => {
      for (let i = 0; i < 5; i++) if (live(ctx, `agents/burst-${i}.toml`) === null) return false;
      return (live(ctx, "agents/coordinator.toml") ?? "").endsWith("# burst\n");
    });
    await w.waitForLine(/burst/, LONG, from);
    // six writes within a few ms: one deploy, or a few if a loaded machine stalled the writer mid-burst
    assert.ok(deployLines(w).length - before <= 3, w.stdout());
  });

  test("a broken edit is reported with file:line:col and not applied; the fix deploys", async () => {
    const path = join(ctx.ws, "agents/burst-0.toml");
    const good = live(ctx, "agents/burst-0.toml");
    let from = w.stdout().length;
    writeFileSync(path, `${agent("burst-0")}version = = broken\n`);
    const failed = await w.waitForLine(/ ✗ not deployed/, LONG, from);
    assert.match(failed, /agents\/burst-0\.toml: E_VALIDATION; nothing applied/);
    await until("the diagnostic", () => /agents\/burst-0\.toml:\d+:\d+: error: /.test(w.stderr()));
    assert.equal(live(ctx, "agents/burst-0.toml"), good, "nothing applied");
    assert.equal(w.child.exitCode, null, "still watching");
    from = w.stdout().length;
    writeFileSync(path, agent("burst-0", "# fixed\n"));
    await w.waitForLine(/ ✓ deployed #\d+ ~agents\/burst-0\.toml/, LONG, from);
    assert.match(live(ctx, "agents/burst-0.toml") ?? "", /# fixed/);
  });

  test("a delete and a file rename", async () => {
    let from = w.stdout().length;
    rmSync(join(ctx.ws, "agents/burst-1.toml"));
    await w.waitForLine(/-agents\/burst-1\.toml/, LONG, from);
    assert.equal(live(ctx, "agents/burst-1.toml"), null);
    from = w.stdout().length;
    renameSync(join(ctx.ws, "agents/burst-2.toml"), join(ctx.ws, "agents/renamed-2.toml"));
    const line = await w.waitForLine(/ ✓ deployed/, LONG, from);
    assert.match(line, /\+agents\/renamed-2\.toml -agents\/burst-2\.toml/);
    assert.ok(live(ctx, "agents/renamed-2.toml") !== null && live(ctx, "agents/burst-2.toml") === null);
  });

  test("a new folder and a folder rename fall back to a full scan", async () => {
    let from = w.stdout().length;
    mkdirSync(join(ctx.ws, "agents/team"));
    writeFileSync(join(ctx.ws, "agents/team/lead.toml"), agent("team-lead"));
    // mkdir and the write are one batch (a full scan: a folder appeared), or two if the machine stalled
    // between them (then the file is seen through the new folder's watch)
    await w.waitForLine(/\+agents\/team\/lead\.toml/, LONG, from);
    assert.ok(live(ctx, "agents/team/lead.toml") !== null);
    // a file written into the new folder after it exists is seen through the folder's own watch
    from = w.stdout().length;
    writeFileSync(join(ctx.ws, "agents/team/second.toml"), agent("team-second"));
    await w.waitForLine(/\+agents\/team\/second\.toml/, LONG, from);
    from = w.stdout().length;
    renameSync(join(ctx.ws, "agents/team"), join(ctx.ws, "agents/crew"));
    await w.waitForLine(/\+agents\/crew\/lead\.toml.* · full scan/, LONG, from);
    assert.ok(live(ctx, "agents/crew/lead.toml") !== null && live(ctx, "agents/team/lead.toml") === null);
  });

  test(".caxtonignore: ignored files never deploy; changing the rules is a full scan", async () => {
    let from = w.stdout().length;
    appendFileSync(join(ctx.ws, ".caxtonignore"), "\nscratch/\n*.tmp\n");
    await w.waitForLine(/~\.caxtonignore.*full scan \(\.caxtonignore changed\)/, LONG, from);
    mkdirSync(join(ctx.ws, "scratch"));
    writeFileSync(join(ctx.ws, "scratch/notes.toml"), "not = [valid");
    writeFileSync(join(ctx.ws, "agents/draft.tmp"), "not = [valid");
    from = w.stdout().length;
    appendFileSync(join(ctx.ws, "agents/coordinator.toml"), "# after ignore\n");
    const line = await w.waitForLine(/ ✓ deployed/, LONG, from);
    assert.match(line, /~agents\/coordinator\.toml · /);
    assert.doesNotMatch(w.stdout().slice(from), /scratch|draft\.tmp|not deployed/);
    assert.equal(live(ctx, "scratch/notes.toml"), null);
    assert.equal(live(ctx, "agents/draft.tmp"), null);
  });

  test("Ctrl-C exits 0 after the deploy in flight", async () => {
    // the server is paused, so the deploy is surely in flight when SIGINT arrives
    const from = w.stdout().length;
    ctx.server.child.kill("SIGSTOP");
    try {
      appendFileSync(join(ctx.ws, "agents/coordinator.toml"), "# in flight\n");
      const port = Number(new URL(ctx.server.url).port);
      await until("the deploy to reach the paused server", () => queuedBytes(port) > 0);
      w.child.kill("SIGINT");
      await new Promise((r) => setTimeout(r, 100)); // the watcher must not exit on its own meanwhile
      assert.equal(w.child.exitCode, null);
    } finally {
      ctx.server.child.kill("SIGCONT");
    }
    assert.equal(await w.exited, 0, w.stderr());
    assert.match(w.stdout().slice(from), /~agents\/coordinator\.toml · 1 round trip/);
    assert.match(live(ctx, "agents/coordinator.toml") ?? "", /# in flight\n$/);
  });
});

describe("deploy --watch against others' deploys", () => {
  let ctx: Ctx;
  before(async () => {
    ctx = await setup();
  });
  after(async () => {
    await ctx.server.stop();
    cleanup(ctx.root);
  });

  test("stops with exit 1 when someone else deployed, unless --force", async () => {
    const w = startWatch(ctx, "--as", "watcher");
    await w.waitForLine(/ ✓ deployed #1 /, LONG);
    // a colleague deploys a copy of the workspace with a change of theirs
    const other = join(ctx.root, "other");
    const copy = await runCli(["init", other]);
    assert.equal(copy.code, 0, copy.stderr);
    for (const f of ["caxton.toml", ".caxtonignore"]) {
      if (existsSync(join(ctx.ws, f))) writeFileSync(join(other, f), readFileSync(join(ctx.ws, f)));
    }
    writeFileSync(join(other, "agents/theirs.toml"), agent("theirs"));
    const theirs = await runCli(["deploy", other, "--server", ctx.server.url, "--as", "colleague"], {
      CAXTON_STATE_DIR: join(ctx.root, "other-state"),
    });
    assert.equal(theirs.code, 0, theirs.stderr);
    appendFileSync(join(ctx.ws, "agents/coordinator.toml"), "# mine\n");
    assert.equal(await w.exited, 1, w.stdout());
    assert.match(w.stderr(), /colleague \(deployment #2 .*\) deployed to .* since this watch's last deploy/);
    assert.match(w.stderr(), /--force/);
    assert.ok(live(ctx, "agents/theirs.toml") !== null, "their deploy stays live");

    const forced = startWatch(ctx, "--force");
    await forced.waitForLine(/ ✓ deployed #3 /, LONG);
    const from = forced.stdout().length;
    appendFileSync(join(ctx.ws, "agents/coordinator.toml"), "# forced\n");
    await forced.waitForLine(/ ✓ deployed #4 ~agents\/coordinator\.toml/, LONG, from);
    forced.child.kill("SIGINT");
    assert.equal(await forced.exited, 0);
  });

  test("--poll finds changes without file events", async () => {
    const w = startWatch(ctx, "--poll", "--poll-interval", "100");
    await w.waitForLine(/ ✓ (deployed|up to date)/, LONG);
    assert.match(w.stderr(), /polling /);
    const from = w.stdout().length;
    writeFileSync(join(ctx.ws, "agents/polled.toml"), agent("polled"));
    const line = await w.waitForLine(/ ✓ deployed/, LONG, from);
    assert.match(line, /\+agents\/polled\.toml/);
    // a poll that finds nothing new deploys nothing: no request, no line
    const lines = deployLines(w).length;
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(deployLines(w).length, lines);
    w.child.kill("SIGINT");
    assert.equal(await w.exited, 0);
  });

  test("--watch refuses --json and --dry-run", async () => {
    const r = await runCli(["deploy", ctx.ws, "--server", ctx.server.url, "--watch", "--json"], {
      CAXTON_STATE_DIR: ctx.state,
    });
    assert.equal(r.code, 2);
  });
});

/** Bytes waiting in the receive queues of the sockets listening or connected on this local port. */
function queuedBytes(port: number): number {
  let total = 0;
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const row of text.split("\n").slice(1)) {
      const cols = row.trim().split(/\s+/);
      const local = cols[1];
      const queues = cols[4];
      if (!local || !queues) continue;
      if (parseInt(local.split(":")[1] ?? "", 16) !== port) continue;
      total += parseInt(queues.split(":")[1] ?? "0", 16);
    }
  }
  return total;
}
