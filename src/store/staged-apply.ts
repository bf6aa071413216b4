/**
 * The two-phase commit of a deployment. Prepare: adopt the verified objects, lay out the folders no earlier
 * deployment laid out (built in `tmp/<txid>/trees`, made durable, placed in `trees/`), name the root tree
 * `deployments/<id>`. Commit: swap `current` (the one atomic
 * step), then mark the history row. A crash before the swap leaves the old deployment live and recovery
 * aborts the row; a crash after it leaves the new one live and recovery marks it committed.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { deploymentDirName, type DataDir } from "./data-dir.js";
import { FSYNC_BATCH_THRESHOLD, type DurabilityPort } from "./durable-fs.js";
import type { CommitInput } from "./deployment-store.js";
import type { WorkspaceHistory } from "./history-db.js";
import type { ObjectStore } from "./object-store.js";
import { materializeTree } from "./materialize-tree.js";
import { linkDeployment, swapCurrent } from "./current-link.js";

export interface ApplyContext {
  dir: DataDir;
  history: WorkspaceHistory;
  objects: ObjectStore;
  durability: DurabilityPort;
}

export function stagedApply(
  ctx: ApplyContext,
  input: CommitInput,
  onBookkeepingError?: (err: unknown) => void,
): { id: number; createdAt: string } {
  const { dir, history, objects, durability } = ctx;
  const createdAt = new Date().toISOString();
  const txDir = join(dir.tmp, input.txid);
  durability.step("begin");
  adoptDurably(ctx, input.newObjects);
  durability.step("objects-adopted");
  let id: number | null = null;
  let swapped = false;
  try {
    id = history.insertPrepared({
      root: input.root,
      parent_id: input.parentId,
      kind: input.kind,
      created_at: createdAt,
      added: input.counts.added,
      modified: input.counts.modified,
      deleted: input.counts.deleted,
      deployed_by: input.deployedBy,
      meta: input.meta ? JSON.stringify(input.meta) : null,
    });
    history.log(input.txid, id, "prepared", { root: input.root, ...input.counts });
    durability.step("prepared");
    materializeTree(
      { trees: dir.trees, staging: join(txDir, "trees"), root: dir.root },
      input.root,
      input.manifest,
      objects,
      durability,
      { step: (name) => durability.step(name) },
    );
    linkDeployment(dir, id, input.root, durability);
    durability.step("tree-placed");
    swapCurrent(dir, id, durability);
    swapped = true;
    try {
      durability.step("swapped");
      history.setStatus(id, "committed");
      history.log(input.txid, id, "committed", { root: input.root });
      durability.step("committed");
    } catch (err) {
      // The new deployment is live: the client is told so. Only the bookkeeping failed (a full disk under
      // SQLite, say); start-up recovery marks the row committed because `current` points at it.
      onBookkeepingError?.(err);
    }
  } catch (err) {
    // Before the swap the old deployment is still live: undo everything this transaction placed. After it,
    // the new one is live and only its bookkeeping failed; start-up recovery completes it.
    if (!swapped && id !== null) {
      rmSync(join(dir.deployments, deploymentDirName(id)), { recursive: true, force: true });
      history.setStatus(id, "aborted");
      history.log(input.txid, id, "aborted", { error: String(err) });
    }
    throw err;
  } finally {
    rmSync(txDir, { recursive: true, force: true });
  }
  return { id, createdAt };
}

/**
 * Objects become durable before they enter the store, so a crash can never leave a torn file under a hash
 * that later deployments would trust. A few are fsynced one by one; more are flushed with one syncfs.
 */
export function adoptDurably(ctx: ApplyContext, newObjects: ReadonlyMap<string, string>): void {
  if (newObjects.size === 0) return;
  if (newObjects.size > FSYNC_BATCH_THRESHOLD) ctx.durability.syncFilesystem(ctx.dir.root);
  else for (const file of newObjects.values()) ctx.durability.fsyncFile(file);
  for (const [hash, file] of newObjects) ctx.objects.adopt(file, hash);
}
