/**
 * Bounded memory: deploying a workspace with a 1 GiB file keeps the client and the server each under 300 MB
 * of peak RSS. Runs the real processes and reads their peak RSS from the kernel: the server's VmHWM from
 * /proc/<pid>/status after the deploy (it is still running), the client's from GNU time's %M when
 * /usr/bin/time exists, else by polling its VmHWM until it exits. Linux only; skipped elsewhere.
 *
 * The file is generated 1 MiB at a time: each MiB is 512 KiB of fresh random bytes followed by a copy of them,
 * so zstd has real work (it finds the copies and halves the size) and the transfer is not a trivial stream of
 * zeros. Its own file, so no other test shares the processes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomFillSync } from "node:crypto";
import { closeSync, openSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { cleanup, runCli, startServe, tempDir } from "../support/caxton-process.js";
import { peakRss, runMeasured } from "../support/measure-rss.js";

const MiB = 1024 * 1024;
const FILE_MIB = Number(process.env.CAXTON_TEST_LARGE_MIB ?? 1024);
const LIMIT_BYTES = 300 * 1000 * 1000;

function writePatternFile(path: string, mebibytes: number): void {
  const chunk = Buffer.allocUnsafe(MiB);
  const fd = openSync(path, "w");
  try {
    for (let i = 0; i < mebibytes; i++) {
      randomFillSync(chunk, 0, MiB / 2);
      chunk.copy(chunk, MiB / 2, 0, MiB / 2);
      writeSync(fd, chunk);
    }
  } finally {
    closeSync(fd);
  }
}

const mb = (n: number): string => `${(n / 1e6).toFixed(0)} MB`;

test(
  `deploying a ${FILE_MIB} MiB file keeps client and server under 300 MB peak RSS`,
  { skip: process.platform !== "linux" ? "reads /proc" : false, timeout: 300_000 },
  async (t) => {
    const root = tempDir("caxton-wire-large-");
    const ws = join(root, "ws");
    const state = join(root, "state");
    const server = await startServe({ dataDir: join(root, "data"), args: ["--quiet"] });
    try {
      assert.equal((await runCli(["init", ws])).code, 0);
      let started = performance.now();
      writePatternFile(join(ws, "big.bin"), FILE_MIB);
      t.diagnostic(`generated ${FILE_MIB} MiB in ${(performance.now() - started).toFixed(0)} ms`);

      started = performance.now();
      const r = await runMeasured(
        ["deploy", ws, "--server", server.url, "--json"],
        { CAXTON_STATE_DIR: state },
        join(root, "time.txt"),
      );
      const serverPeak = peakRss(server.child.pid ?? -1);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      const out = JSON.parse(r.stdout) as { bytes_sent: number; files: { path: string; sent: string }[] };
      t.diagnostic(
        `deploy took ${(performance.now() - started).toFixed(0)} ms; bytes_sent ${out.bytes_sent} ` +
          `(${((100 * out.bytes_sent) / (FILE_MIB * MiB)).toFixed(1)}% of the file); ` +
          `peak RSS client ${mb(r.peakBytes)} (${r.how}), server ${mb(serverPeak)} (VmHWM)`,
      );
      assert.equal(out.files.find((f) => f.path === "big.bin")?.sent, "whole");
      assert.equal(statSync(join(server.dataDir, "current", "big.bin")).size, FILE_MIB * MiB);
      assert.ok(out.bytes_sent < FILE_MIB * MiB * 0.6, "the pattern compresses on the wire");
      assert.ok(r.peakBytes > 0 && serverPeak > 0, "peak RSS was measured");
      assert.ok(r.peakBytes < LIMIT_BYTES, `client peak RSS ${mb(r.peakBytes)}`);
      assert.ok(serverPeak < LIMIT_BYTES, `server peak RSS ${mb(serverPeak)}`);
    } finally {
      await server.stop();
      cleanup(root);
    }
  },
);
