/**
 * Brings an earlier scan up to date from a list of paths that may have changed (what a file watcher saw),
 * without walking the workspace: each path is stat'ed and, when it is a file, hashed again. Anything the list
 * cannot settle on its own — a folder appeared or vanished, a link, a special file, a name that is not
 * UTF-8, the ignore rules themselves changed — answers "full", and the caller walks the whole workspace
 * (scanWorkspace), which also reports those problems with their proper error.
 */
import { lstatSync, statSync, type BigIntStats } from "node:fs";
import { join } from "node:path";
import { updateTree } from "../merkle/update-tree.js";
import { foldersOf } from "./scan-from-cache.js";
import { hashFile, type ScanResult } from "./scan-workspace.js";
import { cacheEntry, nowNs, statFingerprint, type StatCachePort, type StatEntry } from "./stat-cache.js";
import { ALWAYS_SKIPPED, loadWorkspaceIgnore } from "./workspace-ignore.js";

export type RescanOutcome =
  | {
      kind: "rescanned";
      /** paths whose content or presence changed: the scan now holds their new state */
      changed: string[];
      /** files that changed while they were read (still being written): left as they were, to retry */
      unsettled: string[];
    }
  | { kind: "full"; reason: string };

/** Files whose paths hold these names steer the scan itself: a change to one needs a full walk. */
const STEERING_FILES = new Set([".caxtonignore"]);

/**
 * Updates `scan` in place for `paths` (workspace-relative, `/`-separated). On "full", `scan` may be partly
 * updated and must be replaced by a full scan.
 */
export function rescanPaths(
  root: string,
  scan: ScanResult,
  paths: Iterable<string>,
  cache?: StatCachePort,
  /** the monitor's token the rescanned scan is current as of: saved with the cache, folders included */
  monitorToken?: string,
): RescanOutcome {
  const ig = loadWorkspaceIgnore(root);
  const changed: string[] = [];
  const unsettled: string[] = [];
  const saved = new Map<string, StatEntry>();
  const removed: string[] = [];
  /** the manifest's changes, for the tree: new hash, or null when gone */
  const treeChanges = new Map<string, string | null>();
  const forget = (rel: string): void => {
    if (!scan.files.delete(rel)) return;
    scan.manifest.delete(rel);
    changed.push(rel);
    removed.push(rel);
    treeChanges.set(rel, null);
  };
  for (const rel of new Set(paths)) {
    if (rel === "" || rel.includes("\uFFFD")) return { kind: "full", reason: "an unreadable file name" };
    if (STEERING_FILES.has(rel)) return { kind: "full", reason: `${rel} changed` };
    if (rel.split("/").some((segment) => ALWAYS_SKIPPED.has(segment))) continue;
    if (ig?.ignores(rel)) {
      forget(rel);
      continue;
    }
    const abs = join(root, rel);
    let st: BigIntStats;
    try {
      st = statSync(abs, { bigint: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT")
        return { kind: "full", reason: `${rel}: unreadable` };
      // gone; a path that held files below it was a folder
      if (!scan.files.has(rel) && hasFilesUnder(scan, rel))
        return { kind: "full", reason: `folder ${rel} went away` };
      forget(rel);
      continue;
    }
    if (st.isDirectory()) {
      if (ig?.ignores(`${rel}/`)) continue;
      return { kind: "full", reason: `folder ${rel} changed` };
    }
    // a link is checked against the workspace's boundary (link-boundary.ts), which only the walk does
    if (isLink(abs)) return { kind: "full", reason: `${rel} is a link, or went away` };
    if (!st.isFile()) return { kind: "full", reason: `${rel} is not a regular file` };
    const hashedAtNs = nowNs();
    let hash: string;
    try {
      hash = hashFile(abs, st.size);
    } catch {
      unsettled.push(rel); // replaced or removed while it was read
      continue;
    }
    const stat = { size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, ino: st.ino };
    let after: BigIntStats | undefined;
    try {
      after = statSync(abs, { bigint: true });
    } catch {
      after = undefined;
    }
    if (!after || statFingerprint(stat) !== statFingerprint(after)) {
      unsettled.push(rel); // written to while it was read: not deployed half-written
      continue;
    }
    saved.set(rel, cacheEntry(stat, hash, hashedAtNs));
    if (scan.manifest.get(rel) === hash) continue;
    if (!scan.files.has(rel) && hasFilesUnder(scan, rel))
      return { kind: "full", reason: `folder ${rel} became a file` };
    scan.manifest.set(rel, hash);
    treeChanges.set(rel, hash);
    scan.files.set(rel, { path: rel, absPath: abs, size: Number(st.size), hash });
    scan.hashedFiles++;
    scan.hashedBytes += Number(st.size);
    changed.push(rel);
  }
  // the scan's tree must describe its manifest again (the deploy reads its root and objects from it):
  // only the changed files' folders and their ancestors are encoded again (a new tree; the old one stays)
  const update = treeChanges.size > 0 ? updateTree(scan.tree, treeChanges) : null;
  if (update) scan.tree = update.tree;
  if (cache && monitorToken !== undefined) {
    // the next scan may start from the cache alone: it needs the tree objects beside the entries
    if (unsettled.length > 0) cache.save(saved, removed);
    else if (saved.size > 0 || removed.length > 0)
      cache.save(saved, removed, foldersOf(scan.tree, cache.loadFolders?.()), monitorToken);
    else cache.advanceMonitorToken?.(monitorToken);
  } else if (cache && (saved.size > 0 || removed.length > 0)) {
    // the cached trees follow the tree, saved beside the entries they were built from (only the changed
    // folders' records are new: a small delta)
    const before = cache.loadFolders?.();
    cache.save(saved, removed, before ? foldersOf(scan.tree, before) : undefined);
  }
  return { kind: "rescanned", changed, unsettled };
}

function hasFilesUnder(scan: ScanResult, dir: string): boolean {
  const prefix = `${dir}/`;
  for (const path of scan.files.keys()) if (path.startsWith(prefix)) return true;
  return false;
}

function isLink(abs: string): boolean {
  try {
    return lstatSync(abs).isSymbolicLink();
  } catch {
    return true; // gone since the stat: let the walk tell
  }
}
