import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { applyDelta, createDelta } from "../../src/delta/delta-codec.js";
import { DELTA_MAX_BYTES, shouldSendDelta } from "../../src/delta/delta-policy.js";
import { pseudoRandomBytes, scatterEdits, textLikeBytes } from "./random-bytes.js";

const roundTrip = (base: Uint8Array, target: Uint8Array): Buffer =>
  applyDelta(base, createDelta(base, target), target.length, DELTA_MAX_BYTES);

/** An edit script turning a base into a target: replace, insert or delete at a relative position. */
const editArb = fc.record({
  kind: fc.constantFrom("replace", "insert", "delete"),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }),
});

function applyEdits(base: Uint8Array, edits: { kind: string; at: number; bytes: Uint8Array }[]): Buffer {
  let out = Buffer.from(base);
  for (const edit of edits) {
    const at = Math.floor(edit.at * out.length);
    const head = out.subarray(0, at);
    if (edit.kind === "insert") out = Buffer.concat([head, edit.bytes, out.subarray(at)]);
    else if (edit.kind === "delete") out = Buffer.concat([head, out.subarray(at + edit.bytes.length)]);
    else out = Buffer.concat([head, edit.bytes, out.subarray(at + edit.bytes.length)]);
  }
  return out;
}

test("round trip: random unrelated base and target, including empty and tiny", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 4096 }), fc.uint8Array({ maxLength: 4096 }), (base, target) => {
      assert.deepEqual(roundTrip(base, target), Buffer.from(target));
    }),
    { numRuns: 200 },
  );
});

test("round trip: target is a mutated copy of the base", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 200_000 }),
      fc.integer({ min: 1, max: 2 ** 31 }),
      fc.boolean(),
      fc.array(editArb, { maxLength: 12 }),
      (size, seed, text, edits) => {
        const base = text ? textLikeBytes(size, seed) : pseudoRandomBytes(size, seed);
        const target = applyEdits(base, edits);
        const delta = createDelta(base, target);
        assert.deepEqual(applyDelta(base, delta, target.length, DELTA_MAX_BYTES), target);
        // A few small edits of a file of 10 KB or more must be worth a delta.
        if (target.length >= 10 * 1024)
          assert.ok(shouldSendDelta(target.length, delta.length), `${delta.length}`);
      },
    ),
    { numRuns: 60 },
  );
});

test("round trip: identical base and target give a tiny delta", () => {
  for (const size of [0, 1, 7, 8, 9, 1000, 100_000, 1_000_000]) {
    const base = pseudoRandomBytes(size, size + 1);
    const delta = createDelta(base, base);
    assert.deepEqual(applyDelta(base, delta, size, DELTA_MAX_BYTES), base);
    // Measured: 13 B for empty, 22 B for 1 000 B, 117 B for 1 MB (about 12 B per 128 KiB block).
    assert.ok(delta.length <= 32 + size / 8192, `identical ${size} B: delta ${delta.length} B`);
  }
});

test("round trip: views with a byte offset and plain Uint8Arrays", () => {
  const backing = pseudoRandomBytes(50_000, 3);
  const base = new Uint8Array(backing.buffer, backing.byteOffset + 13, 30_000);
  const target = new Uint8Array(scatterEdits(base, 3, 8, 4));
  assert.deepEqual(new Uint8Array(roundTrip(base, target)), target);
});

test("round trip: a base starting with zstd's dictionary magic is still raw content", () => {
  const magic = Buffer.from([0x37, 0xa4, 0x30, 0xec]);
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 3 }),
      fc.uint8Array({ maxLength: 20_000 }),
      fc.array(editArb, { maxLength: 4 }),
      (repeats, rest, edits) => {
        const base = Buffer.concat([...Array<Buffer>(repeats).fill(magic), rest]);
        const target = applyEdits(base, edits);
        assert.deepEqual(roundTrip(base, target), target);
      },
    ),
    { numRuns: 40 },
  );
});

test("createDelta refuses inputs over DELTA_MAX_BYTES (caller bug, not a peer error)", () => {
  const big = Buffer.alloc(DELTA_MAX_BYTES + 1);
  assert.throws(() => createDelta(big, Buffer.alloc(1)), RangeError);
  assert.throws(() => createDelta(Buffer.alloc(1), big), RangeError);
});
