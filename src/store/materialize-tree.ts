/**
 * Lays a manifest out as plain files by hard-linking each path to its object: no content is copied, so a
 * deployment costs one link(2) per file (~10 µs here) whatever the sizes. Objects and therefore deployed files
 * are read-only (0444): editing one in place would corrupt the store.
 */
import { copyFileSync, linkSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ObjectStore } from "./object-store.js";

/** Lays the tree out; returns the directories it created, relative to `target` ("" is `target`). */
export function materializeTree(
  target: string,
  manifest: ReadonlyMap<string, string>,
  objects: ObjectStore,
): string[] {
  mkdirSync(target, { recursive: true });
  const made = new Set<string>([""]);
  for (const [path, hash] of manifest) {
    const parent = dirname(path);
    const rel = parent === "." ? "" : parent;
    if (!made.has(rel)) {
      mkdirSync(join(target, rel), { recursive: true });
      for (let p = rel; p !== "" && !made.has(p); p = dirname(p) === "." ? "" : dirname(p)) made.add(p);
    }
    const source = objects.pathOf(hash);
    const dest = join(target, path);
    try {
      linkSync(source, dest);
    } catch (err) {
      // ext4 caps an inode at 65,000 links; a very common blob (an empty file) can reach it across history
      if ((err as NodeJS.ErrnoException).code === "EMLINK") copyFileSync(source, dest);
      else throw err;
    }
  }
  return [...made];
}
