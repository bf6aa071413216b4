/**
 * A scan rebuilt from the stat cache alone, without touching the workspace: what the last scan saw, for a
 * caller that knows from the file-system monitor which paths may have changed since (and rescans exactly
 * those with rescanPaths). The cached entries and tree objects were saved together by one scan (a base
 * and a delta, written in one transaction), so they describe one state of the workspace; a record whose
 * folders do not account for its files means a walk. Entries hashed within a tick of a change ("racily clean") need no
 * second look here: the monitor's token was taken before they were hashed, so a later write is among the
 * paths it names.
 */
import type { MerkleTree, TreeNode } from "../merkle/build-tree.js";
import { decodeTree } from "../merkle/tree-object.js";
import type { ScanResult } from "./scan-workspace.js";
import type { CachedFolder, StatCachePort } from "./stat-cache.js";

/** The last scan as the cache holds it, or null when the cache cannot stand for it (empty, inconsistent). */
export function scanFromCache(root: string, cache: StatCachePort): ScanResult | null {
  const entries = cache.load();
  const folders = cache.loadFolders?.();
  const top = folders?.get("");
  if (!folders || !top || entries.size === 0) return null;
  // the folders list exactly as many files as the cache holds (they were saved together, by one scan)
  let listed = 0;
  const trees = new Map<string, TreeNode>();
  for (const [path, f] of folders) {
    listed += f.files;
    trees.set(path, { path, hash: f.hash, bytes: f.bytes });
  }
  if (listed !== entries.size) return null;
  const scan: ScanResult = {
    manifest: new Map(),
    files: new Map(),
    hashedFiles: 0,
    hashedBytes: 0,
    cachedFiles: entries.size,
    tree: { root: top.hash, trees },
    reusedFolders: folders.size,
  };
  const base = root.endsWith("/") ? root : `${root}/`;
  for (const [path, e] of entries) {
    scan.manifest.set(path, e.hash);
    const size = Number(e.fingerprint.slice(0, e.fingerprint.indexOf(":")));
    scan.files.set(path, { path, absPath: base + path, size, hash: e.hash });
  }
  return scan;
}

/** The cache's folder records for a tree (what scanWorkspace saves), derived from its tree objects. */
export function foldersOf(
  tree: MerkleTree,
  before?: ReadonlyMap<string, CachedFolder>,
): Map<string, CachedFolder> {
  const folders = new Map<string, CachedFolder>();
  for (const [path, node] of tree.trees) {
    const same = before?.get(path);
    if (same && same.hash === node.hash) {
      folders.set(path, same); // the same tree object: the same files and subfolders
      continue;
    }
    let files = 0;
    const dirs: string[] = [];
    for (const e of decodeTree(node.bytes)) {
      if (e.kind === "blob") files++;
      else dirs.push(e.name);
    }
    folders.set(path, { hash: node.hash, bytes: node.bytes, files, dirs: dirs.sort().join("/") });
  }
  return folders;
}
