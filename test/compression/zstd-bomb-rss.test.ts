/**
 * A decompression bomb: 1 GiB of zeros compressed (about 32 KB), fed to the streaming decoder with a limit.
 * Its own file, so the process's peak RSS is not inflated by other tests.
 */
import { test } from "node:test";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import assert from "node:assert/strict";
import { createZstdDecompressStream, zstdDecompressSync } from "../../src/compression/zstd-decompress.js";
import { zeroBomb as zeroBombWith } from "../support/zero-bomb.js";
import { CaxtonError } from "../../src/errors/caxton-error.js";

const MiB = 1024 * 1024;

const zeroBomb = (mebibytes: number): Promise<Buffer> => zeroBombWith(Buffer.alloc(0), mebibytes);

const rssMB = (bytes: number): string => `${Math.round(bytes / 1e6)} MB`;

test("a 1 GiB bomb is rejected at the limit with E_TOO_LARGE, and RSS stays small", async (t) => {
  const started = performance.now();
  const bomb = await zeroBomb(1024);
  t.diagnostic(
    `1 GiB of zeros compressed to ${bomb.length} B in ${(performance.now() - started).toFixed(0)} ms`,
  );
  assert.ok(bomb.length < 100_000, `bomb is ${bomb.length} B`);

  const limit = 512 * MiB; // large on purpose: memory must not scale with the limit
  const rssBefore = process.memoryUsage().rss;
  let seen = 0;
  const decodeStarted = performance.now();
  await assert.rejects(
    pipeline(
      Readable.from([bomb.subarray(0, 16_384), bomb.subarray(16_384)]),
      createZstdDecompressStream({ maxOutputBytes: limit }),
      new Writable({
        write(chunk: Buffer, _enc, done) {
          seen += chunk.length;
          done();
        },
      }),
    ),
    (err: unknown) => {
      assert.ok(err instanceof CaxtonError);
      assert.equal(err.code, "E_TOO_LARGE");
      assert.match(err.message, new RegExp(`limit of ${limit} bytes`));
      assert.deepEqual(err.detail, { limit });
      return true;
    },
  );
  const peakGrowth = process.resourceUsage().maxRSS * 1024 - rssBefore;
  t.diagnostic(
    `decoded ${seen} B before failing, in ${(performance.now() - decodeStarted).toFixed(0)} ms;` +
      ` peak RSS ${rssMB(process.resourceUsage().maxRSS * 1024)}, growth ${rssMB(peakGrowth)}`,
  );
  assert.ok(seen <= limit, `${seen} bytes passed through`);
  assert.ok(seen > limit - 256 * 1024, "everything up to the limit was delivered");
  assert.ok(peakGrowth < 96 * MiB, `peak RSS grew ${rssMB(peakGrowth)} for a ${limit}-byte limit`);
});

test("the same bomb through the sync helper fails at its (small) limit", async () => {
  const bomb = await zeroBomb(1024);
  assert.throws(
    () => zstdDecompressSync(bomb, { maxOutputBytes: 4 * MiB }),
    (err: unknown) => err instanceof CaxtonError && err.code === "E_TOO_LARGE" && /4194304/.test(err.message),
  );
});
