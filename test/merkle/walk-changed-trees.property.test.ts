import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { buildTree, type MerkleTree } from "../../src/merkle/build-tree.js";
import { diffManifests, diffManifestsAt } from "../../src/merkle/diff-manifests.js";
import { walkChangedTrees } from "../../src/merkle/walk-changed-trees.js";
import { walkTree } from "../../src/merkle/walk-tree.js";
import { assertSafeFolder } from "../../src/protocol/safe-path.js";
import { manifestArb, pairArb } from "./arbitraries.js";

const LIMITS = { maxFiles: 100_000, maxDepth: 64 };

/** A store of tree objects, counting what was read. */
function storeOf(...trees: MerkleTree[]) {
  const byHash = new Map<string, Uint8Array>();
  for (const t of trees) for (const node of t.trees.values()) byHash.set(node.hash, node.bytes);
  const reads: string[] = [];
  return {
    byHash,
    reads,
    read: async (hashes: string[]) => {
      reads.push(...hashes);
      return new Map(
        hashes.flatMap((h) => (byHash.has(h) ? [[h, byHash.get(h) as Uint8Array] as const] : [])),
      );
    },
  };
}

/** The whole walk of the new tree and the walk from the base, over the same store. */
async function bothWalks(
  base: Map<string, string>,
  baseTree: MerkleTree,
  nextTree: MerkleTree,
  store: ReturnType<typeof storeOf>,
) {
  const whole = walkTree(nextTree.root, { tree: (h) => store.byHash.get(h), hasBlob: () => true }, LIMITS);
  const walk = await walkChangedTrees(
    nextTree.root,
    { root: baseTree.root, manifest: base },
    store.read,
    LIMITS,
  );
  return { whole, walk };
}

test("walkChangedTrees: the same manifest as a whole walk, and a diff equal to diffManifests", async () => {
  await fc.assert(
    fc.asyncProperty(pairArb, async ([base, next]) => {
      const baseTree = buildTree(base);
      const nextTree = buildTree(next);
      const store = storeOf(baseTree, nextTree);
      const { whole, walk } = await bothWalks(base, baseTree, nextTree, store);
      assert.deepEqual([...walk.manifest].sort(), [...whole.manifest].sort());
      assert.deepEqual(walk.missingTrees, []);
      assert.deepEqual(diffManifestsAt(base, walk.manifest, walk.changedPaths), diffManifests(base, next));
      // every blob of the new tree that the base lacks is named
      const baseBlobs = new Set(base.values());
      for (const h of next.values()) if (!baseBlobs.has(h)) assert.ok(walk.newBlobs.has(h));
    }),
    { numRuns: 400 },
  );
});

test("walkChangedTrees: an unsafe folder name is refused as a whole walk refuses it", async () => {
  await fc.assert(
    fc.asyncProperty(pairArb, async ([base, next]) => {
      const baseTree = buildTree(base);
      const nextTree = buildTree(next);
      const store = storeOf(baseTree, nextTree);
      const outcome = async (run: () => unknown): Promise<string> => {
        try {
          await run();
          return "ok";
        } catch (err) {
          return (err as { code?: string }).code ?? String(err);
        }
      };
      // a base that passed the check (as a live deployment did) and a next that may not
      if (
        (await outcome(() =>
          walkTree(
            baseTree.root,
            { tree: (h) => store.byHash.get(h), hasBlob: () => true },
            LIMITS,
            assertSafeFolder,
          ),
        )) !== "ok"
      )
        return;
      const whole = await outcome(() =>
        walkTree(
          nextTree.root,
          { tree: (h) => store.byHash.get(h), hasBlob: () => true },
          LIMITS,
          assertSafeFolder,
        ),
      );
      const walk = await outcome(() =>
        walkChangedTrees(
          nextTree.root,
          { root: baseTree.root, manifest: base },
          store.read,
          LIMITS,
          assertSafeFolder,
        ),
      );
      assert.equal(walk, whole);
    }),
    { numRuns: 400 },
  );
});

test("walkChangedTrees: reads only folders of the new tree that the base lacks, and base folders", async () => {
  await fc.assert(
    fc.asyncProperty(pairArb, async ([base, next]) => {
      const baseTree = buildTree(base);
      const nextTree = buildTree(next);
      const store = storeOf(baseTree, nextTree);
      await walkChangedTrees(nextTree.root, { root: baseTree.root, manifest: base }, store.read, LIMITS);
      const baseHashes = new Set([...baseTree.trees.values()].map((n) => n.hash));
      const nextHashes = new Set([...nextTree.trees.values()].map((n) => n.hash));
      for (const h of store.reads) assert.ok(baseHashes.has(h) || nextHashes.has(h));
      // an unchanged tree reads nothing
      const same = storeOf(baseTree);
      const walk = await walkChangedTrees(
        baseTree.root,
        { root: baseTree.root, manifest: base },
        same.read,
        LIMITS,
      );
      assert.deepEqual(same.reads, []);
      assert.deepEqual([...walk.manifest].sort(), [...base].sort());
    }),
    { numRuns: 200 },
  );
});

test("walkChangedTrees: a new folder missing from the store is named as whole walks name it", async () => {
  await fc.assert(
    fc.asyncProperty(pairArb, fc.nat(), async ([base, next], pick) => {
      const baseTree = buildTree(base);
      const nextTree = buildTree(next);
      const store = storeOf(baseTree, nextTree);
      const baseHashes = new Set([...baseTree.trees.values()].map((n) => n.hash));
      const onlyNew = [...nextTree.trees.values()].map((n) => n.hash).filter((h) => !baseHashes.has(h));
      const drop = onlyNew[pick % Math.max(1, onlyNew.length)];
      if (drop === undefined) return;
      store.byHash.delete(drop);
      const { whole, walk } = await bothWalks(base, baseTree, nextTree, store);
      assert.deepEqual(new Set(walk.missingTrees), new Set(whole.missing));
    }),
    { numRuns: 200 },
  );
});

test("walkChangedTrees: a tree over the file limit is E_TOO_LARGE, as a whole walk says", async () => {
  await fc.assert(
    fc.asyncProperty(manifestArb, manifestArb, async (base, extra) => {
      const next = new Map([...base, ...extra]);
      // keep only manifests valid as a tree (no file that is also a folder)
      for (const p of [...next.keys()])
        if ([...next.keys()].some((q) => q.startsWith(p + "/"))) next.delete(p);
      if (next.size === 0) return;
      const baseTree = buildTree(base);
      const nextTree = buildTree(next);
      const store = storeOf(baseTree, nextTree);
      const limits = { maxFiles: Math.max(0, next.size - 1), maxDepth: 64 };
      await assert.rejects(
        walkChangedTrees(nextTree.root, { root: baseTree.root, manifest: base }, store.read, limits),
        (err: unknown) => (err as { code?: string }).code === "E_TOO_LARGE",
      );
    }),
    { numRuns: 100 },
  );
});
