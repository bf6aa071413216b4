/**
 * The two-phase commit of a deployment. Prepare: record the row, lay out the folders no earlier deployment
 * laid out (built in `tmp/<txid>/trees`, their files hard links to the objects where they are: the store, or
 * still the received pack), make the new objects and folders durable together (one syncfs for a large
 * batch, else an fsync each), adopt the objects (a first deploy moves whole fan-out folders), place the
 * folders in `trees/`, name the root tree `deployments/<id>`. Commit: swap `current` (the one atomic step),
 * then mark the history row. A crash before the swap leaves the old deployment live and recovery aborts the
 * row; a crash after it leaves the new one live and recovery marks it committed.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { deploymentDirName, type DataDir } from "./data-dir.js";
import { makeDurable, type DurabilityPort } from "./durable-fs.js";
import type { CommitInput } from "./deployment-store.js";
import type { WorkspaceHistory } from "./history-db.js";
import type { ObjectStore } from "./object-store.js";
import { placeTrees, stagedFolders, stageTrees } from "./materialize-tree.js";
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
    const staged = stageTrees(
      { trees: dir.trees, staging: join(txDir, "trees"), root: dir.root },
      input.root,
      input.manifest,
      objects,
      { pending: input.newObjects },
    );
    durability.step("tree-staged");
    makeDurable(durability, dir.root, [...input.newObjects.values()], stagedFolders(staged));
    durability.step("synced");
    for (const folder of objects.adoptAll(input.newObjects)) durability.fsyncDir(folder);
    durability.step("objects-adopted");
    placeTrees(staged, durability);
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
