/**
 * Applying a received pack under the deploy lock: the base check, resolution (missing objects are kept and
 * named), validation proportional to the change, the conflict check, the deletion guard, then the commit
 * through the store port, the live view and the event.
 */
import { refuseBreaking, storedPlan } from "../config/breaking-guard.js";
import { refuseMassDeletion } from "../config/deletion-guard.js";
import { configSide, planAgentChanges } from "../config/plan-agent-changes.js";
import { CaxtonError } from "../errors/caxton-error.js";
import { diffManifests, diffManifestsAt } from "../merkle/diff-manifests.js";
import type { IfMatch } from "../protocol/if-match.js";
import type { DeployHeader, DeployResult } from "../protocol/messages.js";
import { roundMs } from "../protocol/round-ms.js";
import type { CommitInput, CommitResult, WorkspaceTransaction } from "../store/deployment-store.js";
import { configEntries } from "./config-entries.js";
import {
  currentDeployment,
  emptyResult,
  type DeployContext,
  type LiveDeployment,
  type WorkspaceReader,
} from "./deploy-context.js";
import { deploymentEvent } from "./deployment-events.js";
import { findConflicts } from "./find-conflicts.js";
import { deployMeta } from "./history-entry.js";
import { validateIncrementally } from "./incremental-validation.js";
import type { ReceivedPack } from "./receive-pack.js";

export interface DeployOptions {
  ifMatch: IfMatch;
  dryRun: boolean;
  /** deploy even when files this client changes were changed on the server by someone else meanwhile */
  force?: boolean;
  /** refuse a deployment that deletes every agent or over half of the live files (config/deletion-guard.ts) */
  guardDeletions?: boolean;
  /** refuse a deployment whose agent-aware plan has a breaking change (config/breaking-guard.ts) */
  guardBreaking?: boolean;
}

/** `If-Match`: the live root must be the one the client expects (or nothing be deployed yet). */
export async function checkBase(reader: WorkspaceReader, ifMatch: IfMatch): Promise<LiveDeployment | null> {
  const current = await currentDeployment(reader);
  if (ifMatch === null) return current;
  const actual = current?.checksum ?? "none";
  const expected = ifMatch.live === "nothing" ? "none" : ifMatch.root;
  if (expected !== actual) {
    throw new CaxtonError(
      "E_BASE_MISMATCH",
      `the live deployment is ${actual}, not the expected ${expected}`,
      {
        detail: {
          current: current ? { deployment_id: current.deployment_id, checksum: current.checksum } : null,
        },
      },
    );
  }
  return current;
}

export async function applyDeployment(
  ctx: DeployContext,
  tx: WorkspaceTransaction,
  txid: string,
  pack: ReceivedPack,
  header: DeployHeader,
  options: DeployOptions,
): Promise<DeployResult> {
  const current = await checkBase(tx, options.ifMatch);
  const timestamp = new Date().toISOString();
  if (current?.checksum === header.root) {
    return {
      ...emptyResult(header.root, current.checksum, timestamp, options.dryRun),
      up_to_date: true,
      deployment_id: current.deployment_id,
    };
  }
  await tx.log(txid, null, "begin", {
    root: header.root,
    base: current?.checksum ?? null,
    dry_run: options.dryRun,
  });
  // the live manifest (cached), so that resolution reads only the folders this deployment changed
  const before = current ? await ctx.manifests.manifestOf(current.checksum) : new Map<string, string>();
  const base = current ? { root: current.checksum, manifest: before } : undefined;
  const { manifest, missing, changedPaths } = await ctx.manifests.resolve(header.root, pack, base);
  if (missing.length > 0) {
    // keep what arrived, so the client's next round trip carries only what is missing
    await ctx.store.objects.adopt(pack.files);
    await tx.log(txid, null, "missing-objects", { count: missing.length });
    throw new CaxtonError(
      "E_MISSING_OBJECTS",
      `the server lacks ${missing.length} object(s) of this deployment`,
      {
        detail: { missing: missing.slice(0, 100_000), unapplied_deltas: pack.unappliedDeltas },
      },
    );
  }
  const validationStart = performance.now();
  const previous = current ? await ctx.live.validatedFor(current.checksum) : undefined;
  const { diagnostics, state: validated } = validateIncrementally(
    ctx.configCache,
    await configEntries(ctx.store.objects, ctx.configCache, manifest, pack, previous, changedPaths),
    previous,
  );
  const errors = diagnostics.filter((d) => d.severity === "error");
  const warnings = diagnostics.filter((d) => d.severity === "warning");
  const validationMs = performance.now() - validationStart;
  if (errors.length > 0) {
    await tx.log(txid, null, "rejected", { root: header.root, errors: errors.length });
    const files = new Set(errors.map((e) => e.path));
    if (!options.dryRun) {
      await ctx.events.publish(
        txid,
        deploymentEvent("deployment.rejected", null, header.root, current?.checksum ?? null, {
          changed_agents: [...files].filter((p) => p.startsWith("agents/")),
          errors: errors.length,
        }),
      );
    }
    throw new CaxtonError(
      "E_VALIDATION",
      `deployment rejected: ${errors.length} error(s) in ${files.size} file(s); nothing was applied`,
      { detail: { errors, warnings } },
    );
  }
  if (header.base && current && header.base !== current.checksum && !options.force) {
    const conflicts = await findConflicts(tx, ctx.manifests, header.base, before, manifest);
    const [first] = conflicts;
    if (first) {
      await tx.log(txid, null, "conflict", { root: header.root, files: conflicts.length });
      const more = conflicts.length > 1 ? ` (and ${conflicts.length - 1} more file(s))` : "";
      throw new CaxtonError(
        "E_CONFLICT",
        `${first.path} was changed on the server by ${first.changed_by ?? "another deploy"} at ${first.time} (deployment #${first.deployment_id}) since your last deploy${more}; nothing was applied`,
        { detail: { conflicts } },
      );
    }
  }
  const diff = changedPaths
    ? diffManifestsAt(before, manifest, changedPaths)
    : diffManifests(before, manifest);
  if (options.guardDeletions && !options.dryRun) refuseMassDeletion(before, manifest, diff.deleted);
  const plan = planAgentChanges(configSide(previous?.analyses ?? new Map()), configSide(validated.analyses), [
    ...diff.added,
    ...diff.modified,
    ...diff.deleted,
  ]);
  if (options.guardBreaking && !options.dryRun) refuseBreaking(plan);
  const result: DeployResult = {
    ...emptyResult(header.root, current?.checksum ?? null, timestamp, options.dryRun),
    changes_applied: diff.added.length + diff.modified.length + diff.deleted.length,
    added: diff.added,
    modified: diff.modified,
    deleted: diff.deleted,
    warnings,
    validation_ms: roundMs(validationMs),
    plan,
  };
  if (options.dryRun) {
    await tx.log(txid, null, "dry-run", { root: header.root });
    return result;
  }
  const applyStart = performance.now();
  const arrived = [...pack.files];
  const held = await ctx.store.objects.hasMany(arrived.map(([hash]) => hash));
  const { id, createdAt } = await commit(ctx, tx, {
    txid,
    root: header.root,
    manifest,
    newObjects: new Map(arrived.filter((_, i) => !held[i])),
    parentId: current?.deployment_id ?? null,
    kind: "deploy",
    counts: { added: diff.added.length, modified: diff.modified.length, deleted: diff.deleted.length },
    deployedBy: header.deployed_by ?? null,
    meta: { ...deployMeta(header), plan: storedPlan(plan) },
  });
  ctx.manifests.remember(header.root, manifest);
  const deployment = { id, root: header.root, time: createdAt, previous: current?.checksum ?? null };
  await ctx.live.goLive(txid, "deployment.applied", deployment, diff, validated);
  await ctx.gc.afterCommit(tx);
  return {
    ...result,
    deployment_id: id,
    timestamp: createdAt,
    apply_ms: roundMs(performance.now() - applyStart),
  };
}

/** The store's commit; a deployment that is live with failed bookkeeping is reported, not failed. */
export async function commit(
  ctx: DeployContext,
  tx: WorkspaceTransaction,
  input: CommitInput,
): Promise<CommitResult> {
  const committed = await tx.commit(input);
  if (committed.bookkeepingError !== undefined) {
    ctx.log(
      `deployment is live but its history row could not be updated (recovery will): ${String(committed.bookkeepingError)}`,
    );
  }
  return committed;
}
