/**
 * The one tree walker (merkle/walk-tree.ts): with objects missing it reports exactly what it could not
 * reach, each once, and the files it could; reading trees ahead level by level (gatherTrees) gives the
 * same walk as reading them on demand.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { buildTree } from "../../src/merkle/build-tree.js";
import { gatherTrees, walkTree } from "../../src/merkle/walk-tree.js";
import { manifestArb } from "./arbitraries.js";

const LIMITS = { maxFiles: 100_000, maxDepth: 64 };

const scenarioArb = manifestArb.chain((manifest) => {
  const tree = buildTree(manifest);
  const dirs = [...tree.trees.keys()].filter((d) => d !== "");
  const blobs = [...new Set(manifest.values())];
  return fc.record({
    manifest: fc.constant(manifest),
    tree: fc.constant(tree),
    goneTrees: fc.subarray(dirs.map((d) => tree.trees.get(d)?.hash as string)),
    goneBlobs: fc.subarray(blobs),
  });
});

function parentDirs(path: string): string[] {
  const parts = path.split("/").slice(0, -1);
  return parts.map((_, i) => parts.slice(0, i + 1).join("/"));
}

test("walkTree: reports exactly the unreachable objects, once each, and the reachable files", () => {
  fc.assert(
    fc.property(scenarioArb, ({ manifest, tree, goneTrees, goneBlobs }) => {
      const gone = new Set(goneTrees);
      const byHash = new Map([...tree.trees.values()].map((n) => [n.hash, n.bytes] as const));
      const source = {
        tree: (h: string) => (gone.has(h) ? undefined : byHash.get(h)),
        hasBlob: (h: string) => !goneBlobs.includes(h),
      };
      const { manifest: got, missing } = walkTree(tree.root, source, LIMITS);
      const hashOf = (dir: string): string => tree.trees.get(dir)?.hash as string;
      const expectedFiles = new Map(
        [...manifest].filter(([path]) => parentDirs(path).every((d) => !gone.has(hashOf(d)))),
      );
      assert.deepEqual(got, expectedFiles);
      const expectedMissing = new Set<string>();
      for (const dir of tree.trees.keys()) {
        if (dir === "" || !gone.has(hashOf(dir))) continue;
        if (
          parentDirs(`${dir}/x`)
            .slice(0, -1)
            .every((d) => !gone.has(hashOf(d)))
        )
          expectedMissing.add(hashOf(dir));
      }
      for (const hash of expectedFiles.values()) if (goneBlobs.includes(hash)) expectedMissing.add(hash);
      assert.equal(new Set(missing).size, missing.length, "each missing object once");
      assert.deepEqual(new Set(missing), expectedMissing);
    }),
    { numRuns: 300 },
  );
});

test("gatherTrees then walkTree equals walkTree reading on demand", async () => {
  await fc.assert(
    fc.asyncProperty(scenarioArb, async ({ tree, goneTrees }) => {
      const gone = new Set(goneTrees);
      const byHash = new Map([...tree.trees.values()].map((n) => [n.hash, n.bytes] as const));
      const lookup = (h: string) => (gone.has(h) ? undefined : byHash.get(h));
      let reads = 0;
      const { trees } = await gatherTrees(
        tree.root,
        async (hashes) => {
          reads++;
          return new Map(hashes.flatMap((h) => (lookup(h) ? [[h, lookup(h) as Uint8Array] as const] : [])));
        },
        LIMITS.maxDepth,
      );
      const depth = Math.max(0, ...[...tree.trees.keys()].map((d) => (d === "" ? 0 : d.split("/").length)));
      assert.ok(reads <= depth + 1, `one read per level (${reads} reads, depth ${depth})`);
      const ahead = walkTree(tree.root, { tree: (h) => trees.get(h), hasBlob: () => true }, LIMITS);
      const onDemand = walkTree(tree.root, { tree: lookup, hasBlob: () => true }, LIMITS);
      assert.deepEqual(ahead, onDemand);
    }),
    { numRuns: 200 },
  );
});
