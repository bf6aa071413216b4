import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import binding from "zstd-napi/binding.js";
import { applyDelta, createDelta } from "../../src/delta/delta-codec.js";
import { DELTA_MAX_BYTES } from "../../src/delta/delta-policy.js";
import { CaxtonError } from "../../src/errors/caxton-error.js";
import type { ErrorCode } from "../../src/errors/error-codes.js";
import { pseudoRandomBytes, scatterEdits } from "./random-bytes.js";

const MAX = DELTA_MAX_BYTES;

function rejects(fn: () => unknown, codes: ErrorCode[], message?: RegExp): CaxtonError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof CaxtonError, `expected a CaxtonError, got ${String(caught)}`);
  assert.ok(codes.includes(caught.code), `code ${caught.code}, message ${caught.message}`);
  if (message) assert.match(caught.message, message);
  return caught;
}

/** Either a typed rejection or exactly the right bytes: never silently wrong output. */
function rejectsOrExact(fn: () => Buffer, expected: Uint8Array): void {
  let out: Buffer;
  try {
    out = fn();
  } catch (err) {
    assert.ok(err instanceof CaxtonError, `expected a CaxtonError, got ${String(err)}`);
    assert.ok(["E_CHECKSUM_MISMATCH", "E_BAD_REQUEST", "E_TOO_LARGE"].includes(err.code), err.code);
    return;
  }
  assert.deepEqual(out, Buffer.from(expected));
}

const base = pseudoRandomBytes(300_000, 11);
const target = scatterEdits(base, 5, 16, 12);
const delta = createDelta(base, target);

test("a wrong base is detected: one flipped byte, an unrelated base, a missing (empty) base", () => {
  const flipped = Buffer.from(base);
  flipped[150_000] = (flipped[150_000] ?? 0) ^ 0x01;
  rejects(() => applyDelta(flipped, delta, target.length, MAX), ["E_CHECKSUM_MISMATCH"], /rebuild/);
  rejects(
    () => applyDelta(pseudoRandomBytes(base.length, 99), delta, target.length, MAX),
    ["E_CHECKSUM_MISMATCH", "E_BAD_REQUEST"],
  );
  rejects(
    () => applyDelta(new Uint8Array(0), delta, target.length, MAX),
    ["E_CHECKSUM_MISMATCH", "E_BAD_REQUEST"],
  );
  rejects(
    () => applyDelta(base.subarray(0, 100_000), delta, target.length, MAX),
    ["E_CHECKSUM_MISMATCH", "E_BAD_REQUEST"],
  );
});

test("property: against any mutated base the result is a typed error or exactly the target", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: base.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, xor) => {
      const wrong = Buffer.from(base);
      wrong[at] = (wrong[at] ?? 0) ^ xor;
      rejectsOrExact(() => applyDelta(wrong, delta, target.length, MAX), target);
    }),
    { numRuns: 100 },
  );
});

test("property: every truncation of a delta is rejected", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: delta.length - 1 }), (cut) => {
      rejects(
        () => applyDelta(base, delta.subarray(0, cut), target.length, MAX),
        ["E_BAD_REQUEST", "E_CHECKSUM_MISMATCH"],
      );
    }),
    { numRuns: 200 },
  );
});

test("property: a corrupted delta is a typed error or (harmless bit) exactly the target", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: delta.length - 1 }),
      fc.integer({ min: 1, max: 255 }),
      (at, xor) => {
        const corrupt = Buffer.from(delta);
        corrupt[at] = (corrupt[at] ?? 0) ^ xor;
        rejectsOrExact(() => applyDelta(base, corrupt, target.length, MAX), target);
      },
    ),
    { numRuns: 300 },
  );
});

test("sizes: declared over the limit, or disagreeing with the frame, are rejected before decoding", () => {
  const tooLarge = rejects(() => applyDelta(base, delta, target.length, target.length - 1), ["E_TOO_LARGE"]);
  assert.match(tooLarge.message, new RegExp(`limit of ${target.length - 1} bytes`));
  rejects(() => applyDelta(base, delta, target.length + 1, MAX), ["E_BAD_REQUEST"], /declares/);
  rejects(() => applyDelta(base, delta, target.length - 1, MAX), ["E_BAD_REQUEST"], /declares/);
  rejects(() => applyDelta(base, delta, -1, MAX), ["E_BAD_REQUEST"]);
  rejects(() => applyDelta(base, delta, 1.5, MAX), ["E_BAD_REQUEST"]);
  rejects(() => applyDelta(base, delta, Number.MAX_SAFE_INTEGER + 2, MAX), ["E_BAD_REQUEST"]);
});

test("format: trailing bytes, a second frame, garbage and frames without checksum or size are rejected", () => {
  rejects(
    () => applyDelta(base, Buffer.concat([delta, Buffer.from([0])]), target.length, MAX),
    ["E_BAD_REQUEST"],
  );
  rejects(() => applyDelta(base, Buffer.concat([delta, delta]), target.length, MAX), ["E_BAD_REQUEST"]);
  rejects(() => applyDelta(base, Buffer.from("not a delta at all"), target.length, MAX), ["E_BAD_REQUEST"]);
  rejects(() => applyDelta(base, new Uint8Array(0), 0, MAX), ["E_BAD_REQUEST"]);

  const noChecksum = compressWith(base, target, { checksum: false, contentSize: true });
  rejects(() => applyDelta(base, noChecksum, target.length, MAX), ["E_BAD_REQUEST"], /no checksum/);
  const noSize = compressWith(base, target, { checksum: true, contentSize: false, streamed: true });
  rejects(() => applyDelta(base, noSize, target.length, MAX), ["E_BAD_REQUEST"], /content size/);
});

test("bomb: a frame whose blocks expand past its declared size fails with E_TOO_LARGE", () => {
  // 4 MiB of zeros, then the 4-byte content-size field rewritten to claim 1 000 bytes.
  const zeros = Buffer.alloc(4 * 1024 * 1024);
  const frame = compressWith(new Uint8Array(0), zeros, { checksum: true, contentSize: true });
  const descriptor = frame[4] ?? 0;
  assert.equal(descriptor >> 6, 2, "4-byte Frame_Content_Size field expected");
  const fcsOffset = 5 + ((descriptor & 0x20) !== 0 ? 0 : 1) + [0, 1, 2, 4][descriptor & 3]!;
  const forged = Buffer.from(frame);
  forged.writeUInt32LE(1000, fcsOffset);
  assert.equal(binding.getFrameContentSize(forged), 1000);
  rejects(() => applyDelta(new Uint8Array(0), forged, 1000, MAX), ["E_TOO_LARGE"], /past its declared size/);
});

test("memory: a tiny delta declaring 32 MiB never makes applyDelta allocate 32 MiB up front", () => {
  const claimed = DELTA_MAX_BYTES;
  // A real frame header declaring 32 MiB, followed by a corrupt block.
  const frame = compressWith(new Uint8Array(0), Buffer.alloc(claimed, 7), {
    checksum: true,
    contentSize: true,
  });
  const forged = Buffer.from(frame.subarray(0, 40));
  forged.fill(0xff, 12);
  const sizes: number[] = [];
  const original = Buffer.allocUnsafe;
  Buffer.allocUnsafe = (size: number) => {
    sizes.push(size);
    return original(size);
  };
  try {
    rejects(
      () => applyDelta(new Uint8Array(0), forged, claimed, MAX),
      ["E_BAD_REQUEST", "E_CHECKSUM_MISMATCH"],
    );
  } finally {
    Buffer.allocUnsafe = original;
  }
  assert.ok(Math.max(0, ...sizes) <= 1024 * 1024, `allocated ${Math.max(...sizes)} bytes`);
});

test("the output buffer grows by doubling and ends exactly sized", () => {
  const big = pseudoRandomBytes(5 * 1024 * 1024 + 3, 21);
  const edited = scatterEdits(big, 3, 4, 22);
  const out = applyDelta(big, createDelta(big, edited), edited.length, MAX);
  assert.equal(out.length, edited.length);
  assert.ok(out.equals(edited));
});

function compressWith(
  dict: Uint8Array,
  data: Uint8Array,
  options: { checksum: boolean; contentSize: boolean; streamed?: boolean },
): Buffer {
  const cctx = new binding.CCtx();
  cctx.setParameter(binding.CParameter.checksumFlag, options.checksum ? 1 : 0);
  cctx.setParameter(binding.CParameter.contentSizeFlag, options.contentSize ? 1 : 0);
  cctx.setParameter(binding.CParameter.enableLongDistanceMatching, 1);
  cctx.setParameter(binding.CParameter.windowLog, 24);
  if (dict.length > 0) cctx.loadDictionary(dict);
  const out = Buffer.alloc(binding.compressBound(data.length) + 64);
  if (!options.streamed) return out.subarray(0, cctx.compress2(out, data));
  // Streaming without a pledged size leaves the content size out of the header.
  const [, produced, consumed] = cctx.compressStream2(out, data, binding.EndDirective.continue);
  let written = produced;
  let rest = data.subarray(consumed);
  for (;;) {
    const [remaining, more, used] = cctx.compressStream2(
      out.subarray(written),
      rest,
      binding.EndDirective.end,
    );
    written += more;
    rest = rest.subarray(used);
    if (remaining === 0) return out.subarray(0, written);
  }
}
