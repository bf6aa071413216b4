/**
 * Rolling back under the deploy lock: an earlier retained deployment becomes live again, recorded as a
 * deployment of kind "rollback" (a pointer move for the store: no object is new).
 */
import { storedPlan } from "../config/breaking-guard.js";
import { configSide, planAgentChanges } from "../config/plan-agent-changes.js";
import { CaxtonError } from "../errors/caxton-error.js";
import { diffManifests } from "../merkle/diff-manifests.js";
import type { DeployResult } from "../protocol/messages.js";
import { roundMs } from "../protocol/round-ms.js";
import type { DeploymentRow, WorkspaceTransaction } from "../store/deployment-store.js";
import { commit } from "./apply-deployment.js";
import { configEntries } from "./config-entries.js";
import { currentDeployment, emptyResult, newTxid, type DeployContext } from "./deploy-context.js";
import { validateIncrementally } from "./incremental-validation.js";
import { findRollbackTarget } from "./rollback-target.js";

export async function rollbackDeployment(
  ctx: DeployContext,
  tx: WorkspaceTransaction,
  target: string | null,
  deployedBy: string | null,
): Promise<DeployResult> {
  const started = performance.now();
  const current = await currentDeployment(tx);
  if (!current) throw new CaxtonError("E_NOT_FOUND", "nothing has been deployed yet: nothing to roll back");
  const row = await findRollbackTarget(tx, target, current.deployment_id, async () =>
    (await ctx.workspace.entriesAfter("pruned", 0, 100_000)).flatMap((e) =>
      e.deployment_id === null ? [] : [e.deployment_id],
    ),
  );
  const manifest = await retainedManifest(ctx, row);
  const before = await ctx.manifests.manifestOf(current.checksum);
  const diff = diffManifests(before, manifest);
  const txid = newTxid();
  await tx.log(txid, null, "begin-rollback", { to: row.id, root: row.root });
  const counts = { added: diff.added.length, modified: diff.modified.length, deleted: diff.deleted.length };
  const previous = await ctx.live.validatedFor(current.checksum);
  const { state } = validateIncrementally(
    ctx.configCache,
    await configEntries(ctx.store.objects, ctx.configCache, manifest, null, previous),
    previous,
  );
  // what the rollback means for the agents, recorded like a deploy's
  const plan = planAgentChanges(configSide(previous.analyses), configSide(state.analyses), [
    ...diff.added,
    ...diff.modified,
    ...diff.deleted,
  ]);
  const { id, createdAt } = await commit(ctx, tx, {
    txid,
    root: row.root,
    manifest,
    newObjects: new Map(),
    parentId: current.deployment_id,
    kind: "rollback",
    counts,
    deployedBy,
    meta: { rollback_of: row.id, plan: storedPlan(plan) },
  });
  const deployment = { id, root: row.root, time: createdAt, previous: current.checksum };
  await ctx.live.goLive(txid, "deployment.rolled_back", deployment, diff, state);
  await ctx.gc.afterCommit(tx);
  return {
    ...emptyResult(row.root, current.checksum, createdAt, false),
    deployment_id: id,
    up_to_date: row.root === current.checksum,
    changes_applied: counts.added + counts.modified + counts.deleted,
    added: diff.added,
    modified: diff.modified,
    deleted: diff.deleted,
    apply_ms: roundMs(performance.now() - started),
    plan,
  };
}

async function retainedManifest(
  ctx: DeployContext,
  row: DeploymentRow,
): Promise<ReadonlyMap<string, string>> {
  try {
    return await ctx.manifests.manifestOf(row.root);
  } catch (err) {
    if (err instanceof CaxtonError && err.code === "E_MISSING_OBJECTS") {
      throw new CaxtonError("E_NOT_FOUND", `deployment ${row.id}'s content is no longer stored`);
    }
    throw err;
  }
}
