/**
 * Bounded memory with many files: a first deploy of 100,000 small files keeps the client and the server each
 * under 300 MB peak RSS, measured on the real processes. Its own file, so no other test shares
 * the processes; the workspace is generated here (a few seconds).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, runCli, startServe, tempDir } from "../support/caxton-process.js";
import { peakRss, runMeasured } from "../support/measure-rss.js";

const FILES = Number(process.env.CAXTON_TEST_MANY_FILES ?? 100_000);
const LIMIT_BYTES = 300 * 1000 * 1000;
const mb = (n: number): string => `${(n / 1e6).toFixed(0)} MB`;

test(
  `deploying ${FILES} small files keeps client and server under 300 MB peak RSS`,
  { skip: process.platform !== "linux" ? "reads /proc" : false, timeout: 300_000 },
  async (t) => {
    const root = tempDir("caxton-wire-many-");
    const ws = join(root, "ws");
    const server = await startServe({ dataDir: join(root, "data"), args: ["--quiet"] });
    try {
      assert.equal((await runCli(["init", ws])).code, 0);
      for (let d = 0; d < FILES / 100; d++) {
        const dir = join(ws, "data", `d${d}`);
        mkdirSync(dir, { recursive: true });
        for (let i = 0; i < 100; i++) writeFileSync(join(dir, `f${i}.txt`), `file ${d}/${i}\n`);
      }
      const started = performance.now();
      const r = await runMeasured(
        ["deploy", ws, "--server", server.url, "--json"],
        { CAXTON_STATE_DIR: join(root, "state") },
        join(root, "time.txt"),
      );
      const serverPeak = peakRss(server.child.pid ?? -1);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      const out = JSON.parse(r.stdout) as { added: string[] };
      assert.ok(out.added.length >= FILES);
      t.diagnostic(
        `deploy took ${(performance.now() - started).toFixed(0)} ms; peak RSS client ${mb(r.peakBytes)} (${r.how}), server ${mb(serverPeak)}`,
      );
      assert.ok(r.peakBytes < LIMIT_BYTES, `client peak ${mb(r.peakBytes)}`);
      assert.ok(serverPeak < LIMIT_BYTES, `server peak ${mb(serverPeak)}`);
    } finally {
      await server.stop();
      cleanup(root);
    }
  },
);
