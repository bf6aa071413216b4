/** The objects a deploy may send: the set a tree reaches, and the pack objects for a list of hashes. */
import { CaxtonError } from "../errors/caxton-error.js";
import type { MerkleTree, TreeNode } from "../merkle/build-tree.js";
import { isDeltaEligible } from "../delta/is-delta-eligible.js";
import type { ScanResult } from "../workspace/scan-workspace.js";
import type { PackObject } from "./pack-stream.js";

export function objectSet(tree: MerkleTree, manifest: ReadonlyMap<string, string>): Set<string> {
  const set = new Set<string>();
  for (const node of tree.trees.values()) set.add(node.hash);
  for (const hash of manifest.values()) set.add(hash);
  return set;
}

/**
 * The pack objects for these hashes. With the base's trees (fast path: the server holds them), a changed
 * folder's tree object may travel as a delta against the same folder's old one: in a folder of 10,000
 * agents a one-agent change is then ~100 bytes of tree instead of ~450 KB of mostly incompressible hashes.
 */
export function objectsFor(
  hashes: readonly string[],
  tree: MerkleTree,
  scan: ScanResult,
  /** the base's tree object by folder path (fast path) */
  baseFolders?: ReadonlyMap<string, TreeNode>,
): PackObject[] {
  const wanted = new Set(hashes);
  const out: PackObject[] = [];
  for (const node of tree.trees.values()) {
    if (!wanted.delete(node.hash)) continue;
    const old = baseFolders?.get(node.path);
    const base = old && isDeltaEligible(old.bytes.length, node.bytes.length) ? old : undefined;
    out.push({
      kind: "tree",
      hash: node.hash,
      bytes: node.bytes,
      ...(base ? { deltaBase: { hash: base.hash, bytes: base.bytes } } : {}),
    });
  }
  for (const f of scan.files.values()) {
    if (wanted.delete(f.hash))
      out.push({ kind: "blob", hash: f.hash, size: f.size, absPath: f.absPath, path: f.path });
  }
  if (wanted.size > 0) {
    throw new CaxtonError(
      "E_PROTOCOL",
      `the server asked for ${wanted.size} object(s) this workspace does not have`,
    );
  }
  return out;
}
