/** The change between two manifests, in the ADR's operations: Added, Modified, Deleted (renames are pairs). */
import type { Manifest } from "./build-tree.js";

export interface ManifestDiff {
  added: string[];
  modified: string[];
  deleted: string[];
  /** deleted path → added path with the same content (informational: renames move no content) */
  renamed: { from: string; to: string }[];
}

export function diffManifests(before: Manifest, after: Manifest): ManifestDiff {
  const added: string[] = [];
  const modified: string[] = [];
  const deleted: string[] = [];
  for (const [path, hash] of after) {
    const old = before.get(path);
    if (old === undefined) added.push(path);
    else if (old !== hash) modified.push(path);
  }
  for (const path of before.keys()) if (!after.has(path)) deleted.push(path);
  return sortedDiff(before, after, added, modified, deleted);
}

/**
 * The same diff, looking only at `paths`: exact when every path that differs is among them (as a
 * tree walk that descends only into changed folders reports), in proportion to those paths, not the manifests.
 */
export function diffManifestsAt(before: Manifest, after: Manifest, paths: Iterable<string>): ManifestDiff {
  const added: string[] = [];
  const modified: string[] = [];
  const deleted: string[] = [];
  for (const path of new Set(paths)) {
    const old = before.get(path);
    const now = after.get(path);
    if (old === now) continue;
    if (old === undefined) added.push(path);
    else if (now === undefined) deleted.push(path);
    else modified.push(path);
  }
  return sortedDiff(before, after, added, modified, deleted);
}

function sortedDiff(
  before: Manifest,
  after: Manifest,
  added: string[],
  modified: string[],
  deleted: string[],
): ManifestDiff {
  added.sort();
  modified.sort();
  deleted.sort();
  const deletedByHash = new Map<string, string[]>();
  for (const path of deleted) {
    const hash = before.get(path) as string;
    const list = deletedByHash.get(hash) ?? [];
    list.push(path);
    deletedByHash.set(hash, list);
  }
  const renamed: { from: string; to: string }[] = [];
  for (const path of added) {
    const from = deletedByHash.get(after.get(path) as string)?.shift();
    if (from !== undefined) renamed.push({ from, to: path });
  }
  return { added, modified, deleted, renamed };
}

export function countChanges(diff: ManifestDiff): number {
  return diff.added.length + diff.modified.length + diff.deleted.length;
}
