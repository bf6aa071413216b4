/**
 * Builds the Merkle tree of a workspace from its flat manifest (path → blob hash): every directory's tree
 * object and hash, and the root checksum. Directories that hold no file do not exist in a manifest, so they
 * are not in the tree, as the spec requires.
 */
import { sha256Hex } from "./sha256.js";
import { encodeTree, type TreeEntry } from "./tree-object.js";

export type Manifest = ReadonlyMap<string, string>;

export interface TreeNode {
  /** directory path relative to the root, "" for the root */
  path: string;
  hash: string;
  /** the tree object's bytes (what is hashed) */
  bytes: Buffer;
}

export interface MerkleTree {
  root: string;
  /** every directory, keyed by its path ("" is the root) */
  trees: Map<string, TreeNode>;
}

export function buildTree(manifest: Manifest): MerkleTree {
  // children of every directory, by directory path
  const children = new Map<string, TreeEntry[]>();
  children.set("", []);
  const dirEntry = (dir: string): TreeEntry[] => {
    let list = children.get(dir);
    if (!list) {
      list = [];
      children.set(dir, list);
      const cut = dir.lastIndexOf("/");
      const parent = cut < 0 ? "" : dir.slice(0, cut);
      // placeholder hash, filled in bottom-up below
      dirEntry(parent).push({ kind: "tree", name: dir.slice(cut + 1), hash: "" });
    }
    return list;
  };
  for (const [path, hash] of manifest) {
    const cut = path.lastIndexOf("/");
    const dir = cut < 0 ? "" : path.slice(0, cut);
    dirEntry(dir).push({ kind: "blob", name: path.slice(cut + 1), hash });
  }
  // deepest first, so every child tree is hashed before its parent
  const dirs = [...children.keys()].sort((a, b) => depth(b) - depth(a));
  const trees = new Map<string, TreeNode>();
  for (const dir of dirs) {
    const entries = children.get(dir) ?? [];
    for (const e of entries) {
      if (e.kind === "tree") {
        const node = trees.get(dir === "" ? e.name : `${dir}/${e.name}`);
        if (node) e.hash = node.hash;
      }
    }
    const bytes = encodeTree(entries);
    trees.set(dir, { path: dir, hash: sha256Hex(bytes), bytes });
  }
  const root = trees.get("");
  if (!root) throw new Error("unreachable: root tree missing");
  return { root: root.hash, trees };
}

/** How many folders deep `dir` is: 0 for the root, 1 for a top-level folder. */
export function depth(dir: string): number {
  if (dir === "") return 0;
  let n = 1;
  for (let i = 0; i < dir.length; i++) if (dir.charCodeAt(i) === 0x2f) n++;
  return n;
}
