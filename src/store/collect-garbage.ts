/**
 * Retention and garbage collection. Per workspace, keeps the newest `keep` committed deployments (and always
 * the live one), marks older rows `pruned` and removes their `deployments/<id>` links; then, once for the
 * whole data dir, removes the laid-out folders and the objects that no kept deployment of any workspace
 * reaches. Runs under every workspace's deploy lock, so no deployment resolves against the store meanwhile;
 * objects younger than the grace period survive, so a client that was just told "missing" and is re-sending
 * is never undercut (git's gc.pruneExpire does the same). Each phase is idempotent: a crash anywhere leaves
 * work that the next run finishes, and never removes anything a kept deployment needs.
 *
 * The mark is the caller's `ReachableObjects` (merkle/reachable-objects.ts), kept from run to run: each run
 * makes its roots the kept roots, which reads only the trees that commits since the last run added and that
 * pruning dropped, not every kept tree (a one-agent deploy at 100,000 files: a few trees, not 10,000). A
 * fresh one (the first run of a process, or after a run that failed) is a full mark.
 */
import { rmSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import type { ReachableObjects } from "../merkle/reachable-objects.js";
import { deploymentDirName } from "./data-dir.js";
import { readCurrentId } from "./current-link.js";
import { sweepTrees } from "./sweep-trees.js";
import type { ApplyContext } from "./staged-apply.js";

export interface FileGcReport {
  /** per workspace, the deployments pruned */
  prunedDeployments: Map<string, number[]>;
  removedObjects: number;
  keptObjects: number;
}

/**
 * `workspaces`: every workspace's context (they share `objects`, `trees` and `tmp`); the first one's log
 * records a run that removed objects but pruned nothing (the file store passes `default` first).
 */
export function collectGarbage(
  workspaces: readonly ApplyContext[],
  keep: number,
  graceMs: number,
  reached: ReachableObjects,
): FileGcReport {
  const first = workspaces[0];
  if (!first) throw new Error("collectGarbage needs at least one workspace");
  const { dir, objects, durability } = first;
  durability.step("gc-begin");
  const keptRoots: string[] = [];
  const prunedBy = new Map<string, number[]>();
  const plans = workspaces.map((ctx) => {
    const currentId = readCurrentId(ctx.dir);
    const committed = ctx.history.committed(Number.MAX_SAFE_INTEGER);
    const kept = committed.slice(0, Math.max(1, keep));
    const pruned = committed.slice(Math.max(1, keep)).filter((row) => row.id !== currentId);
    const current = committed.find((row) => row.id === currentId);
    if (current && !kept.includes(current)) kept.push(current);
    keptRoots.push(...kept.map((row) => row.root));
    prunedBy.set(
      ctx.dir.workspace,
      pruned.map((row) => row.id),
    );
    return { ctx, pruned };
  });
  for (const { ctx, pruned } of plans) {
    for (const row of pruned) {
      ctx.history.setStatus(row.id, "pruned");
      ctx.history.log("gc", row.id, "pruned");
    }
  }
  durability.step("gc-rows-pruned");
  for (const { ctx, pruned } of plans)
    for (const row of pruned)
      rmSync(join(ctx.dir.deployments, deploymentDirName(row.id)), { recursive: true, force: true });
  // Mark: what the kept deployments of every workspace reach (shared subtrees counted once).
  reached.retain(keptRoots);
  // the laid-out folders only pruned deployments used (a kept one's, of any workspace, are never touched): a
  // folder is its tree object laid out, so those are the unreached tree objects' folders; with a kept tree
  // object missing from the store, its folders are found by reading the kept folders themselves
  sweepTrees(dir.trees, dir.tmp, reached.complete ? (hash) => reached.has(hash) : keptRoots);
  durability.step("gc-trees-removed");

  // Sweep (deleting from the set of held hashes while iterating it is defined: each is visited once).
  const cutoff = Date.now() - graceMs;
  let removed = 0;
  for (const hash of objects.hashes()) {
    if (reached.has(hash)) continue;
    const path = objects.pathOf(hash);
    try {
      if (statSync(path).mtimeMs > cutoff) continue;
      unlinkSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    objects.forget(hash);
    removed++;
    if (removed === 1) durability.step("gc-first-object-removed");
  }
  for (const { ctx, pruned } of plans) {
    // each workspace's log records its own pruning; the objects removed are the shared store's
    if (pruned.length > 0 || (removed > 0 && ctx === first)) {
      ctx.history.log("gc", null, "gc", { pruned: pruned.map((r) => r.id), removed_objects: removed });
    }
  }
  durability.step("gc-done");
  return { prunedDeployments: prunedBy, removedObjects: removed, keptObjects: objects.size };
}
