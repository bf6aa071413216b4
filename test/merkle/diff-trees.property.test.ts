import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { buildTree, type Manifest, type MerkleTree } from "../../src/merkle/build-tree.js";
import { diffManifests } from "../../src/merkle/diff-manifests.js";
import { diffTrees } from "../../src/merkle/diff-trees.js";
import type { TreeLookup } from "../../src/merkle/diff-trees.js";
import { manifestArb, pairArb } from "./arbitraries.js";

function lookupOf(tree: MerkleTree): TreeLookup {
  const byHash = new Map<string, Uint8Array>();
  for (const node of tree.trees.values()) byHash.set(node.hash, node.bytes);
  return (hash) => byHash.get(hash);
}

function objectSet(tree: MerkleTree, manifest: Manifest): Set<string> {
  return new Set([...[...tree.trees.values()].map((n) => n.hash), ...manifest.values()]);
}

test("diffTrees: its objects are in the new tree and cover everything the new tree has and the base lacks", () => {
  fc.assert(
    fc.property(pairArb, ([base, next]) => {
      const baseTree = buildTree(base);
      const nextTree = buildTree(next);
      const diff = diffTrees(nextTree, baseTree.root, lookupOf(baseTree));
      const nextObjects = objectSet(nextTree, next);
      const baseObjects = objectSet(baseTree, base);
      for (const h of diff.objects) assert.ok(nextObjects.has(h));
      const sent = new Set(diff.objects.filter((h) => !baseObjects.has(h)));
      assert.deepEqual(sent, new Set([...nextObjects].filter((h) => !baseObjects.has(h))));
      assert.equal(new Set(diff.objects).size, diff.objects.length);
    }),
    { numRuns: 400 },
  );
});

test("diffTrees: the file changes are exactly diffManifests' added, modified and deleted", () => {
  fc.assert(
    fc.property(pairArb, ([base, next]) => {
      const baseTree = buildTree(base);
      const diff = diffTrees(buildTree(next), baseTree.root, lookupOf(baseTree));
      const expected = diffManifests(base, next);
      const paths = (keep: (c: { before?: string; after?: string }) => boolean): string[] =>
        diff.changes
          .filter(keep)
          .map((c) => c.path)
          .sort();
      assert.deepEqual(
        paths((c) => c.before === undefined),
        expected.added,
      );
      assert.deepEqual(
        paths((c) => c.before !== undefined && c.after !== undefined),
        expected.modified,
      );
      assert.deepEqual(
        paths((c) => c.after === undefined),
        expected.deleted,
      );
      for (const c of diff.changes) {
        assert.equal(c.before, base.get(c.path));
        assert.equal(c.after, next.get(c.path));
      }
      for (const [path, node] of diff.baseFolders) assert.equal(baseTree.trees.get(path)?.hash, node.hash);
    }),
    { numRuns: 400 },
  );
});

test("diffTrees: identical trees differ in nothing and decode no folder", () => {
  fc.assert(
    fc.property(manifestArb, (m) => {
      const tree = buildTree(m);
      const diff = diffTrees(tree, tree.root, () => assert.fail("no folder should be read"));
      assert.deepEqual(diff, { objects: [], changes: [], baseFolders: new Map() });
    }),
  );
});

test("diffTrees: a base folder missing from the lookup is E_MISSING_OBJECTS", () => {
  const base = buildTree(new Map([["a/b", "00".repeat(32)]]));
  const next = buildTree(new Map([["a/b", "ff".repeat(32)]]));
  assert.throws(
    () => diffTrees(next, base.root, () => undefined),
    (err: unknown) => (err as { code?: string }).code === "E_MISSING_OBJECTS",
  );
});
