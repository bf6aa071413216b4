/**
 * Brings a Merkle tree up to date for a few changed paths without rebuilding it: only the folders that hold
 * a changed file, and their ancestors up to the root, are re-encoded and re-hashed, each from its own tree
 * object (decoded, the changed entries replaced, encoded again). The result is the tree `buildTree` gives
 * for the changed manifest, at a cost in proportion to the change and to the size of the folders it
 * touches, not to the workspace. The input tree is left as it was (the result shares its unchanged nodes).
 */
import { depth, type MerkleTree, type TreeNode } from "./build-tree.js";
import { sha256Hex } from "./sha256.js";
import { decodeTree, encodeTree, type EntryKind, type TreeEntry } from "./tree-object.js";

/** a new entry, or the kind of the entry of that name to remove */
type Edit = TreeEntry | EntryKind;

export interface TreeUpdate {
  tree: MerkleTree;
  /** folders whose tree object is new or changed, deepest first */
  changed: TreeNode[];
  /** folders that are gone (they hold no file any more) */
  removed: string[];
}

/**
 * `changes`: workspace path → the file's new blob hash, or null when the file is gone. The manifest after
 * the changes must be one (no path both a file and a folder), as a workspace scan gives.
 */
export function updateTree(tree: MerkleTree, changes: ReadonlyMap<string, string | null>): TreeUpdate {
  const trees = new Map(tree.trees);
  const changed: TreeNode[] = [];
  const removed: string[] = [];
  // per folder and kind (a name may stop being a file and become a folder, or the reverse), the entries
  // to replace: name → the new entry, or the kind of the entry to remove
  const edits = { blob: new Map<string, Map<string, Edit>>(), tree: new Map<string, Map<string, Edit>>() };
  const edit = (dir: string, name: string, entry: Edit): void => {
    const byDir = edits[typeof entry === "string" ? entry : entry.kind];
    let m = byDir.get(dir);
    if (!m) byDir.set(dir, (m = new Map()));
    m.set(name, entry);
  };
  for (const [path, hash] of changes) {
    const cut = path.lastIndexOf("/");
    const name = path.slice(cut + 1);
    edit(cut < 0 ? "" : path.slice(0, cut), name, hash === null ? "blob" : { kind: "blob", name, hash });
  }
  const dirty = new Set<string>();
  for (const dir of edits.blob.keys())
    for (let d: string | null = dir; d !== null && !dirty.has(d); d = parentOf(d)) dirty.add(d);
  // deepest first, so a folder's new hash is known before its parent is encoded
  for (const dir of [...dirty].sort((a, b) => depth(b) - depth(a))) {
    const before = trees.get(dir);
    const entries = new Map<string, TreeEntry>();
    if (before) for (const e of decodeTree(before.bytes)) entries.set(e.name, e);
    // a removal takes out only an entry of its kind, so the order of the two kinds does not matter
    for (const [name, entry] of [...(edits.blob.get(dir) ?? []), ...(edits.tree.get(dir) ?? [])]) {
      if (typeof entry !== "string") entries.set(name, entry);
      else if (entries.get(name)?.kind === entry) entries.delete(name);
    }
    const parent = parentOf(dir);
    const name = dir.slice(dir.lastIndexOf("/") + 1);
    if (entries.size === 0 && parent !== null) {
      if (before) {
        trees.delete(dir);
        removed.push(dir);
      }
      edit(parent, name, "tree");
      continue;
    }
    const bytes = encodeTree([...entries.values()]);
    const hash = sha256Hex(bytes);
    if (before?.hash !== hash) {
      const node = { path: dir, hash, bytes };
      trees.set(dir, node);
      changed.push(node);
    }
    if (parent !== null) edit(parent, name, { kind: "tree", name, hash });
  }
  const root = trees.get("");
  if (!root) throw new Error("unreachable: root tree missing");
  return { tree: { root: root.hash, trees }, changed, removed };
}

/** The folder above `dir`, or null for the root. */
function parentOf(dir: string): string | null {
  if (dir === "") return null;
  const cut = dir.lastIndexOf("/");
  return cut < 0 ? "" : dir.slice(0, cut);
}
