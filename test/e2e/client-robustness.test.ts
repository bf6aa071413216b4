/**
 * Failures on the user's machine are clear errors, on the real CLI: a damaged local state is rebuilt, an
 * unreadable file (as an ordinary user) and links or names the server refuses are workspace errors (exit 2)
 * before any request, a file over the server's limit is E_TOO_LARGE naming it, and a connection lost after
 * the server committed is resolved by asking the server what is live.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import {
  cleanup,
  runCli,
  runCliUnprivileged,
  startServe,
  tempDir,
  UNPRIVILEGED,
  type ServeProcess,
} from "../support/caxton-process.js";
import { freePort } from "../wire/wire-helpers.js";

const ROOT = process.getuid?.() === 0;
const NO_SERVER = "http://127.0.0.1:9"; // discard port: nothing listens; a request would be exit 3

/** Hands a tree to the unprivileged user the CLI runs as (when the tests run as root). */
function giveAway(...paths: string[]): void {
  if (!ROOT) return;
  for (const p of paths) {
    chownSync(p, UNPRIVILEGED.uid, UNPRIVILEGED.gid);
    if (!existsSync(p)) continue;
    try {
      for (const name of readdirSync(p)) giveAway(join(p, name));
    } catch {
      // a file, not a folder
    }
  }
}

function noStack(text: string): void {
  assert.doesNotMatch(text, /\n\s+at |this is a bug|Sqlite|EACCES:/, text);
}

describe("client robustness", () => {
  let root: string;
  let server: ServeProcess;
  before(async () => {
    root = tempDir("caxton-robust-");
    chmodSync(root, 0o755);
    server = await startServe({
      dataDir: join(root, "data"),
      args: ["--quiet", "--max-file-bytes", String(1024 * 1024)],
    });
  });
  after(async () => {
    await server.stop();
    cleanup(root);
  });

  async function workspace(name: string): Promise<{ ws: string; env: Record<string, string> }> {
    const ws = join(root, name);
    assert.equal((await runCli(["init", ws])).code, 0);
    return { ws, env: { CAXTON_STATE_DIR: join(root, `${name}-state`) } };
  }

  test("a damaged page in state.db: moved aside in one line, the deploy goes on, the next run is clean", async () => {
    const { ws, env } = await workspace("damaged");
    for (let i = 0; i < 200; i++) writeFileSync(join(ws, `notes-${i}.txt`), `note ${i}\n`.repeat(20));
    assert.equal((await runCli(["deploy", ws, "--server", server.url, "--yes"], env)).code, 0);
    const db = join(env.CAXTON_STATE_DIR!, "state.db");
    for (const page of [0, 3]) {
      const fd = openSync(db, "r+");
      writeSync(fd, Buffer.alloc(4096), 0, 4096, page * 4096); // dd if=/dev/zero bs=4096 seek=page count=1
      closeSync(fd);
      writeFileSync(join(ws, "notes-0.txt"), `changed before page ${page}\n`);
      const r = await runCli(["deploy", ws, "--server", server.url, "--json"], env);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      noStack(r.stderr);
      const notes = r.stderr.trim().split("\n");
      assert.equal(notes.length, 1, r.stderr);
      assert.match(
        notes[0]!,
        /^note: the local state was damaged and is rebuilt \(moved aside: .*state\.db\.damaged-/,
      );
      assert.equal(r.json().success, true);
      const again = await runCli(["deploy", ws, "--server", server.url, "--json"], env);
      assert.equal(again.code, 0);
      assert.equal(again.stderr, "", "the rebuilt state is sound");
      assert.equal(again.json().up_to_date, true);
      assert.equal(again.json().round_trips, 1);
    }
    const aside = readdirSync(env.CAXTON_STATE_DIR!).filter((n) => n.startsWith("state.db.damaged-"));
    assert.ok(aside.length >= 2, `kept for a post-mortem: ${aside.join(", ")}`);
  });

  test("status, pull and rollback also rebuild a damaged state.db instead of failing", async () => {
    const { ws, env } = await workspace("damaged-others");
    for (let i = 0; i < 200; i++) writeFileSync(join(ws, `notes-${i}.txt`), `note ${i}\n`.repeat(20));
    assert.equal((await runCli(["deploy", ws, "--server", server.url, "--yes"], env)).code, 0);
    writeFileSync(join(ws, "notes-1.txt"), "second\n");
    assert.equal((await runCli(["deploy", ws, "--server", server.url, "--yes"], env)).code, 0);
    const db = join(env.CAXTON_STATE_DIR!, "state.db");
    const damage = (): void => {
      const fd = openSync(db, "r+");
      writeSync(fd, Buffer.alloc(4096), 0, 4096, 0);
      closeSync(fd);
    };
    const rebuilt = /^note: the local state was damaged and is rebuilt/;
    for (const [args, cwd] of [
      [["status", ws, "--server", server.url, "--offline", "--json"], undefined],
      [["pull", "--server", server.url, "--json"], ws],
      [["rollback", "--server", server.url, "--json"], ws],
    ] as const) {
      damage();
      const r = await runCli([...args], env, cwd);
      assert.equal(r.code, 0, `${args[0]}: ${r.stdout}${r.stderr}`);
      noStack(r.stderr);
      assert.match(r.stderr.trim(), rebuilt, `${args[0]}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    }
  });
  test("an unreadable file (as an ordinary user) is exit 2 naming the file and the reason", async () => {
    const { ws, env } = await workspace("unreadable");
    mkdirSync(env.CAXTON_STATE_DIR!);
    giveAway(ws, env.CAXTON_STATE_DIR!);
    chmodSync(join(ws, "agents/coordinator.toml"), 0o000);
    const r = await runCliUnprivileged(["deploy", ws, "--server", NO_SERVER], env);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    noStack(r.stderr);
    assert.match(r.stderr, /^error: agents\/coordinator\.toml: cannot read it: permission denied$/m);
    assert.match(r.stderr, /^hint: make it readable/m);
  });

  test(
    "a state file of another user, or one that cannot be written, says so",
    { skip: !ROOT && "needs root" },
    async () => {
      const { ws, env } = await workspace("foreign");
      giveAway(ws);
      assert.equal((await runCli(["status", ws], env)).code, 0); // root makes the state: not nobody's
      chmodSync(env.CAXTON_STATE_DIR!, 0o755);
      const r = await runCliUnprivileged(["status", ws], env);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      noStack(r.stderr);
      assert.match(
        r.stderr,
        /error: the local state .*state\.db belongs to another user \(uid 0\), not to you/,
      );
      assert.match(r.stderr, /hint: was it made with sudo\?/);
      giveAway(env.CAXTON_STATE_DIR!);
      chmodSync(join(env.CAXTON_STATE_DIR!, "state.db"), 0o444);
      chmodSync(env.CAXTON_STATE_DIR!, 0o555);
      const ro = await runCliUnprivileged(["status", ws], env);
      assert.equal(ro.code, 2, ro.stdout + ro.stderr);
      noStack(ro.stderr);
      assert.match(ro.stderr, /error: the local state .*state\.db cannot be written/);
    },
  );

  test("a link to /etc/passwd is refused before any request (exit 2, the path)", async () => {
    const { ws, env } = await workspace("link-out");
    symlinkSync("/etc/passwd", join(ws, "agents/passwd.md"));
    const r = await runCli(["deploy", ws, "--server", NO_SERVER, "--json"], env);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    const out = r.json() as { error: { code: string; message: string }; round_trips?: number };
    assert.equal(out.error.code, "E_SYMLINK");
    assert.match(
      out.error.message,
      /^agents\/passwd\.md: symbolic link to \/etc\/passwd, outside the workspace/,
    );
    assert.equal(out.round_trips, undefined, "no request was made");
  });

  test("a newline, a tab or a backslash in a name is refused before any request (exit 2)", async () => {
    const { ws, env } = await workspace("names");
    for (const name of ["new\nline.md", "tab\t.md", "back\\slash.md"]) {
      writeFileSync(join(ws, name), "x\n");
      const r = await runCli(["deploy", ws, "--server", NO_SERVER, "--json"], env);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      const out = r.json() as { error: { code: string; message: string } };
      assert.equal(out.error.code, "E_UNSAFE_PATH");
      assert.match(out.error.message, /the server refuses this name/);
      writeFileSync(join(ws, ".caxtonignore"), `${name.replace(/[\\\n\t]/g, "?")}\n`);
      assert.notEqual((await runCli(["deploy", ws, "--server", NO_SERVER], env)).code, 2, "ignored: fine");
      writeFileSync(join(ws, ".caxtonignore"), "");
      await runCli(["status", ws], env);
      for (const f of readdirSync(ws)) if (/[\n\t\\]/.test(f)) cleanup(join(ws, f));
    }
  });

  test("a file over the server's limit: E_TOO_LARGE naming it and the limit, with nothing sent", async () => {
    const { ws, env } = await workspace("too-large");
    const sparse = (): void => {
      const fd = openSync(join(ws, "big.bin"), "w");
      writeSync(fd, Buffer.from("x"), 0, 1, 512 * 1024 * 1024 - 1); // a 512 MiB sparse file
      closeSync(fd);
    };
    const refused = async (): Promise<void> => {
      const r = await runCli(["deploy", ws, "--server", server.url, "--json"], env);
      assert.equal(r.code, 3, r.stdout + r.stderr);
      const e = r.json() as { error: { code: string; message: string }; round_trips: number };
      assert.equal(e.error.code, "E_TOO_LARGE");
      assert.match(
        e.error.message,
        /^big\.bin: 536870912 bytes, over the server's limit of 1048576 bytes per file .*nothing was sent/,
      );
      assert.equal(e.round_trips, 1, "the negotiation only: its answer announces the limits");
    };
    sparse();
    await refused(); // a first deploy: negotiation, then the check
    cleanup(join(ws, "big.bin"));
    assert.equal((await runCli(["deploy", ws, "--server", server.url, "--yes"], env)).code, 0); // replaces another test's tree
    sparse();
    await refused(); // with a base: the remembered limits skip the fast path, the negotiation refreshes them
  });

  test("the limit lowered since the last deploy: the fast path's early 413 is read and names the file", async () => {
    const { ws, env } = await workspace("lowered");
    const port = await freePort();
    const data = join(root, "lowered-data");
    const listen = { listen: `127.0.0.1:${port}`, quiet: true };
    let lowered = await startServe({ dataDir: data, ...listen });
    try {
      assert.equal((await runCli(["deploy", ws, "--server", lowered.url], env)).code, 0);
      await lowered.stop();
      lowered = await startServe({
        dataDir: data,
        ...listen,
        args: ["--max-file-bytes", String(1024 * 1024)],
      });
      const fd = openSync(join(ws, "big.bin"), "w");
      writeSync(fd, Buffer.from("x"), 0, 1, 512 * 1024 * 1024 - 1); // sparse: compresses to almost nothing
      closeSync(fd);
      const r = await runCli(["deploy", ws, "--server", lowered.url, "--json"], env);
      assert.equal(r.code, 3, r.stdout + r.stderr);
      const e = r.json() as {
        error: { code: string; message: string };
        bytes_sent: number;
        round_trips: number;
      };
      assert.equal(e.error.code, "E_TOO_LARGE", e.error.message);
      assert.match(
        e.error.message,
        /^big\.bin: 536870912 bytes, over the server's limit of 1048576 bytes per file .*nothing was applied/,
      );
      assert.equal(e.round_trips, 1, "the fast path's upload, refused early");
      assert.ok(e.bytes_sent < 1024 * 1024, `sent ${e.bytes_sent} B`);
    } finally {
      await lowered.stop();
    }
  });
});

describe("the connection drops after the server committed", () => {
  test("the client asks what is live and reports the deployment; a retried deploy is up to date", async () => {
    const root = tempDir("caxton-drop-");
    const data = join(root, "data");
    const ws = join(root, "ws");
    const env = { CAXTON_STATE_DIR: join(root, "state") };
    const port = await freePort();
    const listen = { listen: `127.0.0.1:${port}`, quiet: true };
    let server = await startServe({ dataDir: data, ...listen });
    try {
      assert.equal((await runCli(["init", ws])).code, 0);
      assert.equal((await runCli(["deploy", ws, "--server", server.url], env)).code, 0);
      await server.stop();
      server = await startServe({ dataDir: data, env: { CAXTON_FAULT_CRASH_AT: "swapped" }, ...listen });
      writeFileSync(join(ws, "notes.txt"), "after the swap\n");
      const crashed = server;
      const deploy = runCli(["deploy", ws, "--server", crashed.url, "--json"], env);
      assert.equal(await crashed.stop("SIGCONT"), -1, "the server died by SIGKILL just after the swap");
      server = await startServe({ dataDir: data, ...listen }); // a supervisor restarts it on the same address
      const r = await deploy;
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const out = r.json() as { success: boolean; confirmed_after_drop?: boolean; added: string[] };
      assert.equal(out.confirmed_after_drop, true);
      assert.deepEqual(out.added, ["notes.txt"]);
      const again = await runCli(["deploy", ws, "--server", server.url, "--json"], env);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(again.json().up_to_date, true);
      assert.equal(again.json().round_trips, 1);
    } finally {
      await server.stop("SIGKILL");
      cleanup(root);
    }
  });
});
