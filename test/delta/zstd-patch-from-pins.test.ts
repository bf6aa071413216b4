/**
 * Pins the zstd-napi / zstd behaviour the delta path depends on, with the numbers measured when it was written,
 * so that an upgrade that changes any of it fails here, loudly, instead of silently sending megabytes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import binding from "zstd-napi/binding.js";
import {
  applyDelta,
  createDelta,
  DELTA_COMPRESSION_LEVEL,
  deltaWindowLog,
} from "../../src/delta/delta-codec.js";
import { DELTA_MAX_BYTES } from "../../src/delta/delta-policy.js";
import { pseudoRandomBytes, scatterEdits, textLikeBytes } from "./random-bytes.js";

const MiB = 1024 * 1024;
const size = 20 * MiB;
const randomBase = pseudoRandomBytes(size, 1);
const randomTarget = scatterEdits(randomBase, 10, 20, 7);
const textBase = textLikeBytes(size, 2);
const textTarget = scatterEdits(textBase, 10, 20, 8);

/** createDelta's recipe with one ingredient changed, straight on the binding. */
function patchFrom(
  base: Uint8Array,
  target: Uint8Array,
  change: { forceLoad?: boolean; ldm?: boolean; level?: number; checksum?: boolean; rawDict?: boolean } = {},
): Buffer {
  const P = binding.CParameter;
  const cctx = new binding.CCtx();
  cctx.setParameter(P.compressionLevel, change.level ?? DELTA_COMPRESSION_LEVEL);
  cctx.setParameter(P.windowLog, deltaWindowLog(base.length, target.length));
  cctx.setParameter(P.enableLongDistanceMatching, change.ldm === false ? 0 : 1);
  cctx.setParameter(P.checksumFlag, change.checksum === false ? 0 : 1);
  if (change.forceLoad !== false) cctx.setParameter(1001 as binding.CParameter, 3);
  cctx.loadDictionary(base);
  const out = Buffer.allocUnsafe(binding.compressBound(target.length));
  return Buffer.from(out.subarray(0, cctx.compress2(out, target)));
}

test("zstd version is the one these numbers were measured with", () => {
  assert.equal(binding.versionString(), "1.5.7");
  assert.deepEqual(binding.cParamGetBounds(binding.CParameter.windowLog), { lowerBound: 10, upperBound: 31 });
});

test("20 MiB pseudo-random file, 10 scattered 20-byte edits: delta under 10 KB (measured 2 532 B)", (t) => {
  const started = performance.now();
  const delta = createDelta(randomBase, randomTarget);
  const created = performance.now();
  const out = applyDelta(randomBase, delta, randomTarget.length, DELTA_MAX_BYTES);
  const applied = performance.now();
  assert.ok(out.equals(randomTarget));
  assert.ok(delta.length < 10_000, `delta ${delta.length} B`);
  // Timing is informative only (measured ~30 ms create, ~40 ms apply with retries, on 2 cores).
  t.diagnostic(
    `20 MiB random: delta ${delta.length} B, create ${(created - started).toFixed(0)} ms,` +
      ` apply ${(applied - created).toFixed(0)} ms`,
  );
});

test("20 MiB text-like file, 10 edits: delta under 10 KB (measured 2 518 B)", () => {
  const delta = createDelta(textBase, textTarget);
  assert.ok(applyDelta(textBase, delta, textTarget.length, DELTA_MAX_BYTES).equals(textTarget));
  assert.ok(delta.length < 10_000, `delta ${delta.length} B`);
});

test("without setParameter(1001, 3) the same deltas are megabytes (measured 20.4 MB random, 5.5 MB text)", (t) => {
  const random = patchFrom(randomBase, randomTarget, { forceLoad: false });
  const text = patchFrom(textBase, textTarget, { forceLoad: false });
  t.diagnostic(`without force-load: random ${random.length} B, text ${text.length} B`);
  assert.ok(random.length > 10 * MiB, `random without force-load: ${random.length} B`);
  assert.ok(text.length > 1 * MiB, `text without force-load: ${text.length} B`);
});

test("without long-distance matching the random delta is megabytes too (measured about 20 MB)", () => {
  const delta = patchFrom(randomBase, randomTarget, { ldm: false });
  assert.ok(delta.length > 10 * MiB, `no LDM: ${delta.length} B`);
});

test("level 3 is worse than level 2 on random data (measured 32 477 B vs 2 532 B): why level 2", (t) => {
  // If this fails after an upgrade, level 3 may have become fine: re-measure and revisit DELTA_COMPRESSION_LEVEL.
  const level3 = patchFrom(randomBase, randomTarget, { level: 3 });
  const level2 = patchFrom(randomBase, randomTarget, { level: 2 });
  t.diagnostic(`level 3: ${level3.length} B, level 2: ${level2.length} B`);
  assert.ok(level3.length > 4 * level2.length, `level 3: ${level3.length} B, level 2: ${level2.length} B`);
});

test("without checksumFlag a wrong base decodes silently to wrong bytes (why the flag is required)", () => {
  const base = pseudoRandomBytes(1 * MiB, 5);
  const target = scatterEdits(base, 3, 8, 6);
  const unchecked = patchFrom(base, target, { checksum: false });
  const wrong = Buffer.from(base);
  wrong[500_000] = (wrong[500_000] ?? 0) ^ 0xff;
  const out = Buffer.alloc(target.length);
  const written = new binding.DCtx().decompressUsingDict(out, unchecked, wrong);
  assert.equal(written, target.length);
  assert.ok(!out.equals(target), "decoded without error and differs from the target");
});

test("a dictionary starting with zstd's magic is not raw content (why deltaDictionary strips it)", () => {
  const base = Buffer.concat([Buffer.from([0x37, 0xa4, 0x30, 0xec]), pseudoRandomBytes(20_000, 9)]);
  assert.throws(() => patchFrom(base, base), /Allocation error|Dictionary/);
});

test("one-shot decoding writes into the caller's buffer and reports a too-small one (applyDelta's growth)", () => {
  const delta = createDelta(randomBase, randomTarget);
  assert.throws(
    () => new binding.DCtx().decompressUsingDict(Buffer.alloc(MiB), delta, randomBase),
    /Destination buffer is too small/,
  );
});
