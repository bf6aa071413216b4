/**
 * A large deploy prints a summary, not a line per file: the first 20 changed paths and a count of the rest,
 * every path with --verbose, none with --quiet. On a terminal (a real pty from util-linux `script`), the
 * progress line shows the upload's percent, rate and ETA, then the server's validation and apply.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, runCliOnTerminal } from "../support/caxton-process.js";
import { serverAndWorkspace } from "../support/server-and-workspace.js";

const t = serverAndWorkspace({ init: false });

async function workspace(name: string, notes: number): Promise<string> {
  const ws = join(t.root, name);
  assert.equal((await runCli(["init", ws])).code, 0);
  mkdirSync(join(ws, "notes"));
  for (let i = 0; i < notes; i++)
    writeFileSync(join(ws, "notes", `n${String(i).padStart(4, "0")}.md`), `note ${i}\n`);
  return ws;
}

test("20 changed paths and a count by default, all with --verbose, none with --quiet", async () => {
  // file rows (`  + path  size`), not the agent plan's rows (`  + name  impact  what`) printed above them
  const lines = (out: string): string[] =>
    out.split("\n").filter((l) => /^ {2}[+~-] \S+( +[\d.]+ [kMGT]?B)?$/.test(l));
  const dry = async (ws: string, ...flags: string[]): Promise<string> => {
    const r = await runCli(["deploy", ws, "--server", t.server.url, "--dry-run", ...flags], {
      CAXTON_STATE_DIR: join(t.root, "state-dry"),
    });
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };
  const ws = await workspace("many", 300);
  const summary = await dry(ws);
  assert.equal(lines(summary).length, 20);
  assert.match(summary, /… and 287 more \(--verbose lists every file\)/);
  assert.match(summary, /dry run: 307 added, 0 modified, 0 deleted/);
  assert.equal(lines(await dry(ws, "--verbose")).length, 307);
  const quiet = await dry(ws, "-q");
  assert.equal(lines(quiet).length, 0);
  assert.equal(quiet.trim().split("\n").length, 1, quiet);
});

test("on a terminal: upload percent, rate and ETA, then the server's validation and apply", async () => {
  const ws = await workspace("big", 0);
  for (let i = 0; i < 4; i++) writeFileSync(join(ws, "notes", `blob${i}.bin`), randomBytes(8 * 1024 * 1024));
  const tty = runCliOnTerminal(
    ["deploy", ws, "--server", t.server.url],
    { CAXTON_STATE_DIR: join(t.root, "state-tty") },
    { timeoutMs: 120_000 },
  );
  assert.equal(tty.status, 0, tty.stdout + tty.stderr);
  // each redraw is "return, erase the line, text": one line per redraw here
  const redraws = tty.stdout.replaceAll("\r\x1b[2K", "\n§ ");
  assert.match(
    redraws,
    /^§ uploading: \d+% · [\d.]+ [kMG]?B of 3\d(\.\d)? MB · [\d.]+ [kMG]?B\/s · ETA [\d.]+ m?s \(\d+ objects\)/m,
  );
  assert.match(redraws, /^§ sent; the server is validating and applying… \d+ ms/m);
  assert.match(tty.stdout, /Deployed #\d+ \(11 added/);
});
