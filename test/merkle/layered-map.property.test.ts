import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { LayeredMap } from "../../src/merkle/layered-map.js";

/** One change: set a key (from a small alphabet, so sets and deletes meet) or delete it. */
const opArb = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), key: fc.integer({ min: 0, max: 40 }), value: fc.nat(9) }),
  fc.record({ kind: fc.constant("delete" as const), key: fc.integer({ min: 0, max: 40 }) }),
);
/** A chain of derivations, each with its own changes. */
const chainArb = fc.array(fc.array(opArb, { maxLength: 30 }), { minLength: 1, maxLength: 12 });
const baseArb = fc.uniqueArray(fc.integer({ min: 0, max: 60 }), { maxLength: 50 });

/** What a Map holds, and in which order a copy of it changed alike would iterate. */
const entriesOf = (m: ReadonlyMap<number, number>): [number, number][] => [...m];

test("LayeredMap: every derivation in a chain reads like a copied Map changed alike, and stays as it was", () => {
  fc.assert(
    fc.property(baseArb, chainArb, (keys, chain) => {
      const base = new Map(keys.map((k, i) => [k, i]));
      let model = new Map(base);
      let layered: ReadonlyMap<number, number> = base;
      const kept: [ReadonlyMap<number, number>, [number, number][]][] = [];
      for (const ops of chain) {
        const next = LayeredMap.derive(layered);
        model = new Map(model);
        for (const op of ops) {
          if (op.kind === "set") {
            assert.equal(next.set(op.key, op.value), next);
            model.set(op.key, op.value);
          } else assert.equal(next.delete(op.key), model.delete(op.key));
        }
        assert.equal(next.size, model.size);
        for (let k = -1; k <= 61; k++) {
          assert.equal(next.has(k), model.has(k));
          assert.equal(next.get(k), model.get(k));
        }
        assert.deepEqual(new Map(next), model);
        assert.deepEqual([...next.keys()].sort(), [...model.keys()].sort());
        assert.deepEqual([...next.values()].sort(), [...model.values()].sort());
        const seen: [number, number][] = [];
        next.forEach((v, k, m) => {
          assert.equal(m, next);
          seen.push([k, v]);
        });
        assert.deepEqual(seen, entriesOf(next));
        kept.push([next, entriesOf(next)]);
        layered = next;
      }
      // deriving never changes what it derived from
      for (const [m, entries] of kept) assert.deepEqual(entriesOf(m), entries);
      assert.deepEqual(
        entriesOf(base),
        keys.map((k, i) => [k, i]),
      );
    }),
  );
});

test("LayeredMap: a value that is undefined is held, not taken for a missing key", () => {
  const m = LayeredMap.derive(new Map<string, number | undefined>([["a", 1]]));
  m.set("b", undefined);
  assert.equal(m.has("b"), true);
  assert.equal(m.size, 2);
  assert.deepEqual(
    [...m],
    [
      ["a", 1],
      ["b", undefined],
    ],
  );
});
