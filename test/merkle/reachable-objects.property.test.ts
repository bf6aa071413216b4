/**
 * Reference-counted reachability (merkle/reachable-objects.ts) against the full mark: after any sequence of
 * root sets, over trees that share folders, name each other's trees as files (a blob whose hash is a tree's)
 * and lack some tree objects, it reaches exactly what a walk from scratch of the same roots reaches,
 * returns exactly what stopped being reached, and says it is incomplete exactly when a reached tree's
 * object is missing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { buildTree } from "../../src/merkle/build-tree.js";
import { ReachableObjects } from "../../src/merkle/reachable-objects.js";
import { decodeTree } from "../../src/merkle/tree-object.js";
import { manifestArb } from "./arbitraries.js";

/** What `roots` reach, walked from scratch; a tree whose object is missing is reached but not descended. */
function fullMark(roots: Iterable<string>, read: (hash: string) => Uint8Array | undefined) {
  const reached = new Set<string>();
  const walked = new Set<string>();
  let missingTree = false;
  const visit = (hash: string, kind: "blob" | "tree"): void => {
    reached.add(hash);
    if (kind !== "tree" || walked.has(hash)) return;
    walked.add(hash);
    const bytes = read(hash);
    if (bytes === undefined) {
      missingTree = true;
      return;
    }
    for (const e of decodeTree(bytes)) visit(e.hash, e.kind);
  };
  for (const root of roots) visit(root, "tree");
  return { reached, missingTree };
}

const scenarioArb = fc.array(manifestArb, { minLength: 1, maxLength: 6 }).chain((manifests) => {
  // a later manifest may name an earlier one's trees as files (the same bytes as a blob and as a tree)
  const trees = new Map<string, Uint8Array>();
  const roots: string[] = [];
  for (const manifest of manifests) {
    const known = [...trees.keys()];
    let i = 0;
    for (const [path, hash] of manifest) {
      if (known.length > 0 && hash.startsWith("0")) manifest.set(path, known[i++ % known.length] as string);
    }
    const tree = buildTree(manifest);
    for (const node of tree.trees.values()) trees.set(node.hash, node.bytes);
    roots.push(tree.root);
  }
  return fc.record({
    trees: fc.constant(trees),
    missing: fc.subarray([...trees.keys()], { maxLength: Math.min(2, trees.size) }),
    steps: fc.array(fc.subarray(roots), { minLength: 1, maxLength: 8 }),
  });
});

test("reachable objects equal a full mark after every change of the roots", () => {
  fc.assert(
    fc.property(scenarioArb, ({ trees, missing, steps }) => {
      const gone = new Set(missing);
      const read = (hash: string) => (gone.has(hash) ? undefined : trees.get(hash));
      const reached = new ReachableObjects(read);
      let before = new Set<string>();
      for (const roots of steps) {
        const released = reached.retain(roots);
        const mark = fullMark(roots, read);
        for (const hash of mark.reached) assert.ok(reached.has(hash), `${hash} is reached`);
        assert.equal(reached.size, mark.reached.size);
        assert.deepEqual(new Set(released), new Set([...before].filter((h) => !mark.reached.has(h))));
        assert.equal(released.length, new Set(released).size);
        assert.equal(reached.complete, !mark.missingTree);
        before = mark.reached;
      }
    }),
    { numRuns: 300 },
  );
});

test("a missing tree object that turns up is expanded when next reached", () => {
  const [x, y] = ["11".repeat(32), "22".repeat(32)];
  const first = buildTree(
    new Map([
      ["a/x", x],
      ["b", y],
    ]),
  );
  // the same folder `a` under another name
  const second = buildTree(new Map([["c/a/x", x]]));
  const folder = first.trees.get("a")?.hash as string;
  const nodes = new Map([...first.trees.values(), ...second.trees.values()].map((n) => [n.hash, n.bytes]));
  let withheld = true;
  const reached = new ReachableObjects((hash) => (withheld && hash === folder ? undefined : nodes.get(hash)));
  reached.retain([first.root]);
  assert.equal(reached.complete, false);
  assert.equal(reached.has(x), false);
  withheld = false;
  reached.retain([first.root, second.root]);
  assert.equal(reached.complete, true);
  assert.equal(reached.has(x), true);
  assert.deepEqual(new Set(reached.retain([second.root])), new Set([first.root, y]));
  assert.deepEqual(
    new Set(reached.retain([])),
    new Set([...second.trees.values()].map((n) => n.hash).concat(x)),
  );
  assert.equal(reached.size, 0);
});
