/**
 * Removes the tree directories (materialize-tree.ts) that no kept root reaches. Reachability is read from the
 * directories themselves, the way a reader resolves them (each subfolder is a `../<hash>` symlink), so it
 * holds whether or not the tree objects are still in the object store; or the caller says which to keep
 * (the file store: the tree objects its kept roots reach, `merkle/reachable-objects.ts`, which are the same
 * folders when every one of those tree objects is held, since a folder holds exactly its tree object's
 * entries). A directory is first renamed out of
 * `trees/` (one atomic step) and only then deleted, so a crash never leaves a partial `trees/<hash>` that a
 * later deployment would reuse; what it leaves in `tmp/` start-up recovery removes.
 */
import { existsSync, readdirSync, readlinkSync, renameSync, rmSync } from "node:fs";
import { basename, join } from "node:path";

/** Tree hashes reachable from `roots` through the laid-out directories. */
export function reachableTrees(treesDir: string, roots: Iterable<string>): Set<string> {
  const reached = new Set<string>();
  const stack = [...roots];
  for (let hash = stack.pop(); hash !== undefined; hash = stack.pop()) {
    if (reached.has(hash)) continue;
    const dir = join(treesDir, hash);
    if (!existsSync(dir)) continue;
    reached.add(hash);
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isSymbolicLink()) stack.push(basename(readlinkSync(join(dir, entry.name))));
    }
  }
  return reached;
}

/** Removes every tree directory `roots` do not reach (or `kept` rejects); returns how many went. */
export function sweepTrees(
  treesDir: string,
  tmpDir: string,
  kept: Iterable<string> | ((hash: string) => boolean),
): number {
  if (!existsSync(treesDir)) return 0;
  const reached = typeof kept === "function" ? null : reachableTrees(treesDir, kept);
  const keep = reached ? (hash: string) => reached.has(hash) : (kept as (hash: string) => boolean);
  let removed = 0;
  for (const name of readdirSync(treesDir)) {
    if (keep(name)) continue;
    const doomed = join(tmpDir, `sweep-${name}`);
    rmSync(doomed, { recursive: true, force: true });
    renameSync(join(treesDir, name), doomed);
    rmSync(doomed, { recursive: true, force: true });
    removed++;
  }
  return removed;
}
