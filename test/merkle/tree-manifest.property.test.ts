import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fc from "fast-check";
import { CaxtonError } from "../../src/errors/caxton-error.js";
import { buildTree, type Manifest, type MerkleTree } from "../../src/merkle/build-tree.js";
import { diffManifests, countChanges, type ManifestDiff } from "../../src/merkle/diff-manifests.js";
import { flattenTree } from "../../src/merkle/walk-tree.js";

type TreeLookup = (hash: string) => Uint8Array | undefined;
import { EMPTY_SHA256 } from "../../src/merkle/sha256.js";
import { decodeTree } from "../../src/merkle/tree-object.js";
import { hashArb, manifestArb, nameArb } from "./arbitraries.js";

function lookupOf(tree: MerkleTree): TreeLookup {
  const byHash = new Map<string, Uint8Array>();
  for (const node of tree.trees.values()) byHash.set(node.hash, node.bytes);
  return (hash) => byHash.get(hash);
}

/** Every directory that holds at least one file (at any depth), "" included. */
function dirsOf(manifest: Manifest): Set<string> {
  const dirs = new Set<string>([""]);
  for (const path of manifest.keys()) {
    const segs = path.split("/");
    for (let i = 1; i < segs.length; i++) dirs.add(segs.slice(0, i).join("/"));
  }
  return dirs;
}

/** Applies a diff to `before`, taking new content hashes from `source` (what the client would upload). */
function applyDiff(before: Manifest, diff: ManifestDiff, source: Manifest): Map<string, string> {
  const out = new Map(before);
  for (const p of diff.deleted) {
    assert.ok(out.delete(p), `deleted path ${p} was not there`);
  }
  for (const p of diff.modified) {
    assert.ok(out.has(p), `modified path ${p} was not there`);
    out.set(p, source.get(p) as string);
  }
  for (const p of diff.added) {
    assert.ok(!out.has(p), `added path ${p} was already there`);
    out.set(p, source.get(p) as string);
  }
  return out;
}

test("buildTree then flattenTree gives back the manifest", () => {
  fc.assert(
    fc.property(manifestArb, (manifest) => {
      const tree = buildTree(manifest);
      assert.deepEqual(flattenTree(tree.root, lookupOf(tree)), manifest);
    }),
    { numRuns: 300 },
  );
});

test("buildTree: every node's hash is sha256 of its bytes, which decode; the root is trees['']", () => {
  fc.assert(
    fc.property(manifestArb, (manifest) => {
      const tree = buildTree(manifest);
      assert.equal(tree.trees.get("")?.hash, tree.root);
      for (const [path, node] of tree.trees) {
        assert.equal(node.path, path);
        assert.equal(node.hash, createHash("sha256").update(node.bytes).digest("hex"));
        const entries = decodeTree(node.bytes);
        for (const e of entries) {
          const child = path === "" ? e.name : `${path}/${e.name}`;
          if (e.kind === "blob") assert.equal(manifest.get(child), e.hash);
          else assert.equal(tree.trees.get(child)?.hash, e.hash);
        }
      }
    }),
    { numRuns: 300 },
  );
});

test("buildTree: the trees are exactly the directories that hold a file (no empty directories)", () => {
  fc.assert(
    fc.property(manifestArb, (manifest) => {
      const tree = buildTree(manifest);
      assert.deepEqual(new Set(tree.trees.keys()), dirsOf(manifest));
      for (const [path, node] of tree.trees) {
        if (path !== "") assert.ok(node.bytes.length > 0, `empty tree object for ${path}`);
      }
    }),
    { numRuns: 300 },
  );
  assert.equal(buildTree(new Map()).root, EMPTY_SHA256);
  assert.deepEqual([...buildTree(new Map()).trees.keys()], [""]);
});

test("buildTree: the root does not depend on the manifest's insertion order", () => {
  fc.assert(
    fc.property(
      manifestArb.chain((m) =>
        fc.tuple(fc.constant(m), fc.shuffledSubarray([...m.entries()], { minLength: m.size })),
      ),
      ([manifest, shuffled]) => {
        assert.equal(buildTree(new Map(shuffled)).root, buildTree(manifest).root);
      },
    ),
  );
});

test("buildTree: the root changes when any content changes", () => {
  fc.assert(
    fc.property(
      manifestArb.filter((m) => m.size > 0),
      fc.nat(),
      hashArb,
      (manifest, pick, newHash) => {
        const paths = [...manifest.keys()];
        const path = paths[pick % paths.length] as string;
        fc.pre(manifest.get(path) !== newHash);
        const changed = new Map(manifest).set(path, newHash);
        assert.notEqual(buildTree(changed).root, buildTree(manifest).root);
      },
    ),
    { numRuns: 300 },
  );
});

test("buildTree: the root changes when any path changes (rename or move, same content)", () => {
  fc.assert(
    fc.property(
      manifestArb.filter((m) => m.size > 0),
      fc.nat(),
      fc.array(nameArb, { minLength: 1, maxLength: 3 }),
      (manifest, pick, newSegs) => {
        const paths = [...manifest.keys()];
        const from = paths[pick % paths.length] as string;
        const to = newSegs.join("/");
        const moved = new Map(manifest);
        const hash = moved.get(from) as string;
        moved.delete(from);
        // the new path must be free and must not collide with a directory or a file prefix
        fc.pre(!moved.has(to) && to !== from);
        fc.pre(![...moved.keys()].some((p) => p.startsWith(to + "/") || to.startsWith(p + "/")));
        moved.set(to, hash);
        assert.notEqual(buildTree(moved).root, buildTree(manifest).root);
      },
    ),
    { numRuns: 300 },
  );
});

test("buildTree: swapping the contents of two files changes the root", () => {
  fc.assert(
    fc.property(
      manifestArb.filter((m) => new Set(m.values()).size > 1),
      (manifest) => {
        const entries = [...manifest.entries()];
        const [p1, h1] = entries[0] as [string, string];
        const other = entries.find(([, h]) => h !== h1) as [string, string];
        const swapped = new Map(manifest).set(p1, other[1]).set(other[0], h1);
        assert.notEqual(buildTree(swapped).root, buildTree(manifest).root);
      },
    ),
  );
});

test("buildTree: a file and a directory of the same name cannot both exist", () => {
  const h = "44".repeat(32);
  assert.throws(
    () =>
      buildTree(
        new Map([
          ["a", h],
          ["a/b", h],
        ]),
      ),
    (err: unknown) => err instanceof CaxtonError && err.code === "E_BAD_REQUEST",
  );
});

test("flattenTree: a missing tree is E_MISSING_OBJECTS, and limits are E_TOO_LARGE", () => {
  const h = "55".repeat(32);
  const manifest = new Map([
    ["a/b/c/d.toml", h],
    ["a/x.toml", h],
    ["y.toml", h],
  ]);
  const tree = buildTree(manifest);
  const lookup = lookupOf(tree);
  const missing = tree.trees.get("a/b")?.hash as string;
  assert.throws(
    () => flattenTree(tree.root, (hash) => (hash === missing ? undefined : lookup(hash))),
    (err: unknown) =>
      err instanceof CaxtonError &&
      err.code === "E_MISSING_OBJECTS" &&
      JSON.stringify(err.detail) === JSON.stringify({ missing: [missing] }),
  );
  assert.throws(
    () => flattenTree(tree.root, lookup, { maxFiles: 2, maxDepth: 10 }),
    (err: unknown) => err instanceof CaxtonError && err.code === "E_TOO_LARGE",
  );
  assert.throws(
    () => flattenTree(tree.root, lookup, { maxFiles: 10, maxDepth: 2 }),
    (err: unknown) => err instanceof CaxtonError && err.code === "E_TOO_LARGE",
  );
  assert.deepEqual(flattenTree(tree.root, lookup, { maxFiles: 3, maxDepth: 3 }), manifest);
});

test("flattenTree: a tree that contains itself is stopped by the depth limit", () => {
  // a hash lookup that answers the same tree object for every hash: infinite nesting
  const self = Buffer.concat([Buffer.from("tree d\0"), Buffer.alloc(32)]);
  assert.throws(
    () => flattenTree("00".repeat(32), () => self, { maxFiles: 10, maxDepth: 50 }),
    (err: unknown) => err instanceof CaxtonError && err.code === "E_TOO_LARGE",
  );
});

/** A pair of manifests that share many paths and contents, so diffs have every kind of change. */
const manifestPairArb = fc
  .tuple(manifestArb, manifestArb, fc.array(fc.boolean(), { maxLength: 30 }))
  .map(([a, extra, keep]) => {
    const b = new Map<string, string>();
    let i = 0;
    const hashes = [...a.values()];
    for (const [p, h] of a) {
      const k = keep[i++ % Math.max(keep.length, 1)];
      if (k === undefined || k)
        b.set(p, h); // kept
      else if (i % 3 === 0)
        b.set(`moved/${p}`, h); // renamed
      else if (i % 3 === 1) b.set(p, hashes[(i + 1) % hashes.length] as string); // modified (maybe)
      // else: deleted
    }
    for (const [p, h] of extra) if (!b.has(p)) b.set(p, h);
    return [a, b] as const;
  });

test("diffManifests(a, b) applied to a yields b", () => {
  fc.assert(
    fc.property(fc.oneof(manifestPairArb, fc.tuple(manifestArb, manifestArb)), ([a, b]) => {
      const diff = diffManifests(a, b);
      assert.deepEqual(applyDiff(a, diff, b), b);
      // disjoint, sorted, and each list means what it says
      const all = [...diff.added, ...diff.modified, ...diff.deleted];
      assert.equal(new Set(all).size, all.length);
      assert.equal(countChanges(diff), all.length);
      for (const list of [diff.added, diff.modified, diff.deleted]) assert.deepEqual(list, [...list].sort());
      for (const p of diff.added) assert.ok(!a.has(p) && b.has(p));
      for (const p of diff.deleted) assert.ok(a.has(p) && !b.has(p));
      for (const p of diff.modified) assert.ok(a.get(p) !== b.get(p) && a.has(p) && b.has(p));
      // every unchanged path is equal
      for (const [p, h] of a) if (!all.includes(p)) assert.equal(b.get(p), h);
    }),
    { numRuns: 300 },
  );
});

test("diffManifests: a manifest against itself has no changes", () => {
  fc.assert(
    fc.property(manifestArb, (m) => {
      assert.deepEqual(diffManifests(m, new Map(m)), { added: [], modified: [], deleted: [], renamed: [] });
    }),
  );
});

test("diffManifests: renames pair deleted and added paths of the same content, each used once", () => {
  fc.assert(
    fc.property(fc.oneof(manifestPairArb, fc.tuple(manifestArb, manifestArb)), ([a, b]) => {
      const diff = diffManifests(a, b);
      const froms = diff.renamed.map((r) => r.from);
      const tos = diff.renamed.map((r) => r.to);
      assert.equal(new Set(froms).size, froms.length);
      assert.equal(new Set(tos).size, tos.length);
      for (const { from, to } of diff.renamed) {
        assert.ok(diff.deleted.includes(from));
        assert.ok(diff.added.includes(to));
        assert.equal(a.get(from), b.get(to));
      }
      // maximal: per content hash, min(#deleted, #added) renames
      const count = (paths: string[], m: Manifest): Map<string, number> => {
        const c = new Map<string, number>();
        for (const p of paths) c.set(m.get(p) as string, (c.get(m.get(p) as string) ?? 0) + 1);
        return c;
      };
      const del = count(diff.deleted, a);
      const add = count(diff.added, b);
      let expected = 0;
      for (const [h, n] of del) expected += Math.min(n, add.get(h) ?? 0);
      assert.equal(diff.renamed.length, expected);
    }),
    { numRuns: 300 },
  );
});

test("diffManifests: the spec's rename is detected and is one delete plus one add", () => {
  const h1 = "a989a829909e63aeef22ed15198c9d82082c95ddce60b469d9701befe788fd0f";
  const h2 = "802afc559535d7b94aca60ebb4e7cd7ca1a980d03fa6d8ea37b84d39089835bb";
  const before = new Map([
    ["agents/coordinator.toml", h1],
    ["agents/researcher.toml", h2],
  ]);
  const after = new Map([
    ["agents/coordinator.toml", h1],
    ["agents/analyst.toml", h2],
  ]);
  assert.deepEqual(diffManifests(before, after), {
    added: ["agents/analyst.toml"],
    modified: [],
    deleted: ["agents/researcher.toml"],
    renamed: [{ from: "agents/researcher.toml", to: "agents/analyst.toml" }],
  });
  // a rename to a path whose content also changed is not a rename
  const edited = new Map([
    ["agents/coordinator.toml", h1],
    ["agents/analyst.toml", "00".repeat(32)],
  ]);
  assert.deepEqual(diffManifests(before, edited).renamed, []);
});
