import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { deltaDictionary, deltaWindowLog } from "../../src/delta/delta-codec.js";
import {
  DELTA_MAX_BYTES,
  DELTA_MIN_TARGET_BYTES,
  isDeltaEligible,
  shouldSendDelta,
} from "../../src/delta/delta-policy.js";

test("limits: 10 KB minimum, 32 MiB maximum", () => {
  assert.equal(DELTA_MIN_TARGET_BYTES, 10 * 1024);
  assert.equal(DELTA_MAX_BYTES, 32 * 1024 * 1024);
});

test("windowLog: bit length of the larger size plus one, clamped to 10..31", () => {
  assert.equal(deltaWindowLog(0, 0), 10);
  assert.equal(deltaWindowLog(1, 0), 10);
  assert.equal(deltaWindowLog(1000, 10), 11); // 1000 has 10 bits
  assert.equal(deltaWindowLog(1024, 0), 12); // 1024 = 2^10 has 11 bits
  assert.equal(deltaWindowLog(20 * 1024 * 1024, 5), 26);
  assert.equal(deltaWindowLog(5, DELTA_MAX_BYTES), 27);
  assert.equal(deltaWindowLog(2 ** 40, 0), 31);
  fc.assert(
    fc.property(fc.nat(2 ** 30), fc.nat(2 ** 30), (a, b) => {
      const log = deltaWindowLog(a, b);
      assert.ok(log >= 10 && log <= 31);
      if (log > 10) assert.ok(2 ** log >= a + b, "the window covers base and target together");
    }),
  );
});

test("isDeltaEligible: target of 10 KB or more, both sides at most 32 MiB, a non-empty base", () => {
  assert.equal(isDeltaEligible(50_000, DELTA_MIN_TARGET_BYTES), true);
  assert.equal(isDeltaEligible(50_000, DELTA_MIN_TARGET_BYTES - 1), false);
  assert.equal(isDeltaEligible(0, 50_000), false);
  assert.equal(isDeltaEligible(DELTA_MAX_BYTES, DELTA_MAX_BYTES), true);
  assert.equal(isDeltaEligible(DELTA_MAX_BYTES + 1, 50_000), false);
  assert.equal(isDeltaEligible(50_000, DELTA_MAX_BYTES + 1), false);
  assert.equal(isDeltaEligible(Number.NaN, 50_000), false);
  assert.equal(isDeltaEligible(1e300, 50_000), false);
});

test("shouldSendDelta: only when the delta is at most half the target and the target is 10 KB or more", () => {
  assert.equal(shouldSendDelta(20_000, 10_000), true);
  assert.equal(shouldSendDelta(20_000, 10_001), false);
  assert.equal(shouldSendDelta(20 * 1024 * 1024, 2_532), true);
  assert.equal(shouldSendDelta(DELTA_MIN_TARGET_BYTES - 1, 10), false);
  assert.equal(shouldSendDelta(DELTA_MIN_TARGET_BYTES, 10), true);
});

test("deltaDictionary strips leading zstd dictionary magic numbers, and nothing else, without copying", () => {
  const magic = [0x37, 0xa4, 0x30, 0xec];
  const plain = new Uint8Array([1, 2, 3, 4, 5]);
  assert.equal(deltaDictionary(plain), plain);
  const once = new Uint8Array([...magic, 9, 9]);
  assert.deepEqual(deltaDictionary(once), new Uint8Array([9, 9]));
  assert.equal(deltaDictionary(once).buffer, once.buffer);
  assert.deepEqual(deltaDictionary(new Uint8Array([...magic, ...magic, 1])), new Uint8Array([1]));
  assert.deepEqual(deltaDictionary(new Uint8Array(magic.slice(0, 3))), new Uint8Array(magic.slice(0, 3)));
});
