/**
 * Conflict detection between deployers (Caxton ADR-0045): the files this deploy changes relative to its base
 * that someone else changed on the server since that base, differently. Each names the newest deployment
 * that changed it. A base whose content is no longer stored (pruned and collected) cannot be compared: then
 * there are no conflicts and the deploy proceeds (the client's tree wins, as without a base).
 */
import type { DeployConflict } from "../protocol/messages.js";
import type { DeploymentRow, WorkspaceTransaction } from "../store/deployment-store.js";
import type { ManifestCache } from "./manifest-cache.js";

/** How far back blame walks the history for who changed a conflicting file. */
const BLAME_DEPTH = 64;

export async function findConflicts(
  history: Pick<WorkspaceTransaction, "committed">,
  manifests: ManifestCache,
  base: string,
  live: ReadonlyMap<string, string>,
  next: ReadonlyMap<string, string>,
): Promise<DeployConflict[]> {
  let baseManifest: ReadonlyMap<string, string>;
  try {
    baseManifest = await manifests.manifestOf(base);
  } catch {
    return [];
  }
  const changed = (a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>, path: string): boolean =>
    a.get(path) !== b.get(path);
  const paths = new Set([...baseManifest.keys(), ...live.keys(), ...next.keys()]);
  const conflicting = [...paths].filter(
    (p) => changed(baseManifest, next, p) && changed(baseManifest, live, p) && changed(live, next, p),
  );
  if (conflicting.length === 0) return [];
  // who changed each: walk back from the live deployment to the base, newest first (bounded)
  const rows = await history.committed(BLAME_DEPTH);
  const blame = new Map<string, DeploymentRow>();
  for (let i = 0; i < rows.length - 1 && blame.size < conflicting.length; i++) {
    const row = rows[i] as DeploymentRow;
    if (row.root === base) break;
    let now: ReadonlyMap<string, string>;
    let prev: ReadonlyMap<string, string>;
    try {
      now = await manifests.manifestOf(row.root);
      prev = await manifests.manifestOf((rows[i + 1] as DeploymentRow).root);
    } catch {
      break;
    }
    for (const p of conflicting) if (!blame.has(p) && changed(prev, now, p)) blame.set(p, row);
  }
  const fallback = rows[0] as DeploymentRow;
  return conflicting.sort().map((path) => {
    const row = blame.get(path) ?? fallback;
    return { path, changed_by: row.deployed_by, time: row.created_at, deployment_id: row.id };
  });
}
