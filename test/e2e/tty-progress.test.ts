/**
 * On a terminal, long work shows progress (fed by the client library's events) on one self-rewriting line;
 * piped, the output has no progress and no escape codes. The terminal is a real pty from util-linux
 * `script`, so this runs the CLI exactly as a person would.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, runCliOnTerminal } from "../support/caxton-process.js";
import { serverAndWorkspace } from "../support/server-and-workspace.js";

const t = serverAndWorkspace();

test("progress on a TTY, none when piped", async () => {
  const { root, ws, server } = t;
  mkdirSync(join(ws, "docs"));
  for (let i = 0; i < 2500; i++) writeFileSync(join(ws, "docs", `n${i}.md`), `note ${i}\n`);
  const tty = runCliOnTerminal(["deploy", ws, "--server", server.url], {
    CAXTON_STATE_DIR: join(root, "state-tty"),
  });
  assert.equal(tty.status, 0, tty.stdout + tty.stderr);
  const line = "\r\x1b[2K"; // return, erase the line: the status line rewrites itself
  assert.ok(tty.stdout.includes(`${line}scanning: 1000 files`), tty.stdout.slice(0, 300));
  assert.ok(tty.stdout.includes(`${line}validating`));
  assert.ok(tty.stdout.includes(`${line}comparing with the server`));
  assert.match(tty.stdout, /Deployed #1 \(2507 added/);
  writeFileSync(join(ws, "docs", "n1.md"), "changed\n");
  const piped = await runCli(["deploy", ws, "--server", server.url], {
    CAXTON_STATE_DIR: join(root, "state-tty"),
  });
  assert.equal(piped.code, 0, piped.stderr);
  assert.ok(!(piped.stdout + piped.stderr).includes("\x1b["), "no escape codes when piped");
  assert.match(piped.stdout, /Deployed #2 \(0 added, 1 modified, 0 deleted\)/);
});
