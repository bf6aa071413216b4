/**
 * Retention and garbage collection. Keeps the newest `keep` committed deployments (and always the live one),
 * marks older rows `pruned`, removes their trees, then removes objects that no kept deployment reaches.
 * Runs under the deploy lock, so no deployment resolves against the store meanwhile; objects younger than
 * the grace period survive, so a client that was just told "missing" and is re-sending is never undercut
 * (git's gc.pruneExpire does the same). Each phase is idempotent: a crash anywhere leaves work that the
 * next run finishes, and never removes anything a kept deployment needs.
 */
import { rmSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { decodeTree } from "../merkle/tree-object.js";
import { deploymentDirName } from "./data-dir.js";
import { readCurrentId } from "./current-link.js";
import type { ApplyContext } from "./staged-apply.js";

export interface FileGcReport {
  prunedDeployments: number[];
  removedObjects: number;
  keptObjects: number;
}

export function collectGarbage(ctx: ApplyContext, keep: number, graceMs: number): FileGcReport {
  const { dir, history, objects, durability } = ctx;
  const currentId = readCurrentId(dir);
  const committed = history.committed(Number.MAX_SAFE_INTEGER);
  const kept = committed.slice(0, Math.max(1, keep));
  const pruned = committed.slice(Math.max(1, keep)).filter((row) => row.id !== currentId);
  const current = committed.find((row) => row.id === currentId);
  if (current && !kept.includes(current)) kept.push(current);
  durability.step("gc-begin");
  for (const row of pruned) {
    history.setStatus(row.id, "pruned");
    history.log("gc", row.id, "pruned");
  }
  durability.step("gc-rows-pruned");
  for (const row of pruned)
    rmSync(join(dir.deployments, deploymentDirName(row.id)), { recursive: true, force: true });
  durability.step("gc-trees-removed");

  // Mark: walk the trees of kept deployments; shared subtrees are visited once.
  const reachable = new Set<string>();
  const visit = (hash: string): void => {
    if (reachable.has(hash)) return;
    reachable.add(hash);
    if (!objects.has(hash)) return;
    for (const entry of decodeTree(objects.read(hash))) {
      if (entry.kind === "tree") visit(entry.hash);
      else reachable.add(entry.hash);
    }
  };
  for (const row of kept) visit(row.root);

  // Sweep.
  const cutoff = Date.now() - graceMs;
  let removed = 0;
  for (const hash of [...objects.hashes()]) {
    if (reachable.has(hash)) continue;
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
  if (pruned.length > 0 || removed > 0) {
    history.log("gc", null, "gc", { pruned: pruned.map((r) => r.id), removed_objects: removed });
  }
  durability.step("gc-done");
  return { prunedDeployments: pruned.map((r) => r.id), removedObjects: removed, keptObjects: objects.size };
}
