/**
 * The two ways a deploy reaches the server (docs/protocol.md, "Deploy flow"):
 *  - the fast path, when this client deployed here before: what the base lacks, sent with If-Match: base
 *    (1 round trip; a no-change deploy is one bodiless request answered 304);
 *  - the negotiated path, otherwise or when the base moved: which objects the server holds, then the rest,
 *    sent unconditionally (2 round trips).
 */
import { decodeBitmap } from "../protocol/negotiate-body.js";
import type { DeployResult } from "../protocol/messages.js";
import type { ApiClient } from "./api-client.js";
import type { DeltaPlanner } from "./choose-delta.js";
import type { DeployPlan } from "./deploy-plan.js";
import { objectsFor } from "./deploy-objects.js";
import type { LocalState } from "./local-state.js";
import type { PhaseClock } from "./phase-clock.js";
import type { Uploader } from "./upload.js";

export interface PathContext {
  plan: DeployPlan;
  api: ApiClient;
  state: LocalState;
  uploader: Uploader;
  deltas: DeltaPlanner;
  clock: PhaseClock;
  dryRun: boolean;
}

/** The fast path's result, or null when it does not apply (no base, base moved, base no longer live). */
export async function fastPath(ctx: PathContext): Promise<DeployResult | null> {
  const { plan, api, clock } = ctx;
  if (!plan.last) return null;
  if (plan.unchanged) {
    // no change: one bodiless request (If-None-Match, 304), without loading the base or any codec
    const live = await api.liveDeployment(plan.tree.root);
    clock.endDiscovery();
    return live ? upToDate(plan.tree.root, live.deployment_id, live.time, ctx.dryRun) : null;
  }
  // with the tree diff: the new side of the folders that changed; else every object the base lacks
  const diff = plan.treeDiff();
  const held = diff ? undefined : plan.baseObjects();
  const candidates = diff ? diff.objects : [...plan.treeObjects()].filter((h) => !held?.has(h));
  const known = ctx.state.knownOnServer(plan.serverKey, candidates);
  const needed = candidates.filter((h) => !known.has(h));
  clock.endDiscovery();
  const objects = objectsFor(needed, plan.tree, plan.scan, diff ? diff.baseFolders : plan.baseTree().trees);
  return ctx.uploader.uploadOnto(objects, plan.last.deployed_checksum); // null: the server moved on
}

/**
 * Negotiation: one request lists every object of the tree, plus the delta bases this deploy may use, so
 * a server that lost them (reset, pruned) is known before the upload: those files go whole, and the
 * deploy stays within its round trips instead of learning it from a 409.
 */
export async function negotiatedPath(ctx: PathContext): Promise<DeployResult> {
  const { plan, api, clock } = ctx;
  const all = [...plan.treeObjects()];
  const bases = ctx.deltas.candidateBases().filter((h) => !plan.treeObjects().has(h));
  const answer = await api.negotiate(plan.tree.root, [...all, ...bases]);
  clock.endDiscovery();
  if (answer.up_to_date && answer.current) {
    return upToDate(plan.tree.root, answer.current.deployment_id, answer.current.time, ctx.dryRun);
  }
  const have = decodeBitmap(answer.have, all.length + bases.length);
  const needed = all.filter((_, i) => !have[i]);
  const held = new Set(all.filter((_, i) => have[i]));
  bases.forEach((h, i) => {
    if (have[all.length + i]) held.add(h);
  });
  ctx.deltas.keepBasesIn(held);
  // unconditional: the server serialises deployments and checks that every object is there, so a deploy
  // that lands just after another still applies exactly this tree
  return ctx.uploader.upload(objectsFor(needed, plan.tree, plan.scan));
}

export function upToDate(root: string, id: number, time: string, dryRun: boolean): DeployResult {
  return {
    success: true,
    dry_run: dryRun,
    up_to_date: true,
    deployment_id: id,
    deployed_checksum: root,
    previous_checksum: root,
    changes_applied: 0,
    added: [],
    modified: [],
    deleted: [],
    warnings: [],
    timestamp: time,
    validation_ms: 0,
    apply_ms: 0,
  };
}
