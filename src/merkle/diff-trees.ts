/**
 * What changed between a base tree and a new one, found by descending only into the subtrees whose hashes
 * differ: a one-file change in 100,000 files decodes the few folders on its path, not 100,000 entries. The
 * base is read through a lookup of tree objects (the client keeps its last deployment's), the new tree is a
 * built MerkleTree.
 */
import { CaxtonError } from "../errors/caxton-error.js";
import type { MerkleTree, TreeNode } from "./build-tree.js";
import { decodeTree, type TreeEntry } from "./tree-object.js";
import { flattenTree } from "./walk-tree.js";

/** hash → tree object, or undefined when it is not at hand */
export type TreeLookup = (hash: string) => Uint8Array | undefined;

/** One file's change: `before` absent for an added file, `after` absent for a deleted one. */
export interface FileChange {
  path: string;
  before?: string;
  after?: string;
}

export interface TreeDiff {
  /**
   * The objects of the new tree inside the subtrees that differ from the base: the tree objects of its changed
   * folders and the contents of its added and modified files. Every object the new tree reaches and the base
   * does not is among them (some may be in the base elsewhere: a moved file, a reverted folder).
   */
  objects: string[];
  /** every file added, modified or deleted, in no particular order */
  changes: FileChange[];
  /** the base's tree object of each folder that both trees have and that changed, by folder path */
  baseFolders: Map<string, TreeNode>;
}

export function diffTrees(next: MerkleTree, baseRoot: string, lookup: TreeLookup): TreeDiff {
  const objects = new Set<string>();
  const changes: FileChange[] = [];
  const baseFolders = new Map<string, TreeNode>();
  const join = (dir: string, name: string): string => (dir === "" ? name : `${dir}/${name}`);
  const removeAll = (path: string, hash: string): void => {
    for (const [p, before] of flattenTree(hash, lookup)) changes.push({ path: join(path, p), before });
  };
  const visit = (path: string, nextHash: string, baseHash: string | undefined): void => {
    if (nextHash === baseHash) return;
    const node = next.trees.get(path);
    if (!node || node.hash !== nextHash) throw new Error(`unreachable: folder ${path} missing from the tree`);
    objects.add(nextHash);
    let baseEntries = new Map<string, TreeEntry>();
    if (baseHash !== undefined) {
      const bytes = lookup(baseHash);
      if (!bytes) {
        throw new CaxtonError("E_MISSING_OBJECTS", `tree ${baseHash} is missing`, {
          detail: { missing: [baseHash] },
        });
      }
      baseFolders.set(path, { path, hash: baseHash, bytes: Buffer.from(bytes) });
      baseEntries = new Map(decodeTree(bytes).map((e) => [e.name, e]));
    }
    for (const e of decodeTree(node.bytes)) {
      const p = join(path, e.name);
      const b = baseEntries.get(e.name);
      baseEntries.delete(e.name);
      if (e.kind === "tree") {
        if (b?.kind === "blob") changes.push({ path: p, before: b.hash });
        visit(p, e.hash, b?.kind === "tree" ? b.hash : undefined);
        continue;
      }
      if (b?.kind === "blob" && b.hash === e.hash) continue;
      if (b?.kind === "tree") removeAll(p, b.hash);
      objects.add(e.hash);
      changes.push(
        b?.kind === "blob" ? { path: p, before: b.hash, after: e.hash } : { path: p, after: e.hash },
      );
    }
    for (const b of baseEntries.values()) {
      if (b.kind === "blob") changes.push({ path: join(path, b.name), before: b.hash });
      else removeAll(join(path, b.name), b.hash);
    }
  };
  visit("", next.root, baseRoot);
  return { objects: [...objects], changes, baseFolders };
}
