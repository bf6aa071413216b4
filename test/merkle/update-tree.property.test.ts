import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { buildTree, type Manifest, type MerkleTree } from "../../src/merkle/build-tree.js";
import { updateTree } from "../../src/merkle/update-tree.js";
import { hashArb, manifestArb, valid } from "./arbitraries.js";

/** A small pool of paths, so that changes nest, empty folders and turn files into folders and back. */
const poolPathArb = fc
  .array(fc.constantFrom("a", "b", "é", "\u{1F600}", "x.toml"), { minLength: 1, maxLength: 4 })
  .map((segs) => segs.join("/"));

/** A base and a next manifest: edits, deletions (whole folders emptied), additions, files becoming folders. */
const pairArb: fc.Arbitrary<[Map<string, string>, Map<string, string>]> = fc
  .tuple(
    fc.oneof(
      manifestArb,
      fc.array(fc.tuple(poolPathArb, hashArb)).map((kv) => new Map(kv)),
    ),
    fc.array(fc.tuple(poolPathArb, hashArb), { maxLength: 6 }),
    fc.array(fc.tuple(fc.nat(), hashArb), { maxLength: 4 }),
    fc.array(fc.nat(), { maxLength: 6 }),
  )
  .map(([start, extra, edits, deletions]) => {
    const base = valid(new Map(start));
    const next = new Map(base);
    const paths = [...base.keys()];
    for (const [i, h] of edits) if (paths.length > 0) next.set(paths[i % paths.length] as string, h);
    for (const i of deletions) if (paths.length > 0) next.delete(paths[i % paths.length] as string);
    for (const [p, h] of extra) next.set(p, h);
    return [base, valid(next)];
  });

/** What changed from `base` to `next`, as updateTree takes it (plus some paths that did not change). */
function changesOf(base: Manifest, next: Manifest, noise: string[]): Map<string, string | null> {
  const changes = new Map<string, string | null>();
  for (const [p, h] of next) if (base.get(p) !== h) changes.set(p, h);
  for (const p of base.keys()) if (!next.has(p)) changes.set(p, null);
  // a path given with its unchanged hash, or a removal of a file that is not there, changes nothing
  // (a folder's path given as a removed file, too)
  for (const p of noise) if (!changes.has(p)) changes.set(p, next.get(p) ?? null);
  return changes;
}

const objects = (t: MerkleTree): Set<string> => new Set([...t.trees.values()].map((n) => n.hash));

test("updateTree: the same root, folders, tree objects and object set as a full rebuild", () => {
  fc.assert(
    fc.property(pairArb, fc.array(poolPathArb, { maxLength: 3 }), ([base, next], noise) => {
      const before = buildTree(base);
      const beforeCopy = new Map(before.trees);
      const full = buildTree(next);
      const update = updateTree(before, changesOf(base, next, noise));
      assert.equal(update.tree.root, full.root);
      assert.deepEqual([...update.tree.trees.keys()].sort(), [...full.trees.keys()].sort());
      for (const [path, node] of full.trees) {
        const got = update.tree.trees.get(path);
        assert.equal(got?.hash, node.hash, path);
        assert.deepEqual(got?.bytes, node.bytes, path);
        assert.equal(got?.path, path);
      }
      assert.deepEqual(objects(update.tree), objects(full));
      // exactly the folders whose tree object is new or changed, and those that are gone
      const expectChanged = [...full.trees].filter(([p, n]) => before.trees.get(p)?.hash !== n.hash);
      assert.deepEqual(update.changed.map((n) => n.path).sort(), expectChanged.map(([p]) => p).sort());
      assert.deepEqual(
        [...update.removed].sort(),
        [...before.trees.keys()].filter((p) => !full.trees.has(p)).sort(),
      );
      // the input tree is untouched
      assert.deepEqual(before.trees, beforeCopy);
    }),
    { numRuns: 500 },
  );
});

test("updateTree: a chain of updates ends where a rebuild of the last manifest does", () => {
  fc.assert(
    fc.property(fc.array(pairArb, { minLength: 1, maxLength: 5 }), (pairs) => {
      let manifest = new Map<string, string>();
      let tree = buildTree(manifest);
      for (const [, next] of pairs) {
        tree = updateTree(tree, changesOf(manifest, next, [])).tree;
        manifest = next;
      }
      const full = buildTree(manifest);
      assert.equal(tree.root, full.root);
      assert.deepEqual(objects(tree), objects(full));
    }),
    { numRuns: 200 },
  );
});
