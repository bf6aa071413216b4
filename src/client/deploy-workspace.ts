/**
 * The client side of a deployment (see docs/protocol.md, "Deploy flow"):
 *  1. plan: scan and hash the workspace (stat cache), build the Merkle tree, validate locally
 *     (deploy-plan.ts);
 *  2. the fast path when this client deployed here before, else (or when the base moved) the negotiated
 *     path (deploy-paths.ts), each uploading through one Uploader (upload.ts) that also sends what a 409
 *     names as missing;
 *  3. record what went live in the local state, and report it with its phases (phase-clock.ts).
 * A failure the user or a peer can cause is returned as a typed DeployFailure, with what crossed the wire
 * until then; only bugs throw.
 */
import { CaxtonError, isCaxtonError } from "../errors/caxton-error.js";
import { diffManifests } from "../merkle/diff-manifests.js";
import type { DeployResult } from "../protocol/messages.js";
import type { ScanProgress, ScanResult } from "../workspace/scan-workspace.js";
import { ApiClient, type ConnectionOptions, type WireStats } from "./api-client.js";
import { BlobCache } from "./blob-cache.js";
import { DeltaPlanner, type SentAs } from "./choose-delta.js";
import { compactHeap } from "./compact-heap.js";
import { confirmLive, droppedError, isLostConnection } from "./confirm-live.js";
import { fastPath, negotiatedPath, type PathContext } from "./deploy-paths.js";
import type { GitInfo } from "./git-info.js";
import { planDeploy, type DeployPlan } from "./deploy-plan.js";
import type { LocalState } from "./local-state.js";
import { PhaseClock, type DeployPhases } from "./phase-clock.js";
import { withinLimits } from "./server-limits.js";
import { Uploader, type UploadProgress } from "./upload.js";
import { serverLabel } from "../protocol/workspace-name.js";

export { defaultDeployer } from "./deploy-plan.js";

export type DeployProgress = ScanProgress | { phase: "validate" } | { phase: "negotiate" } | UploadProgress;

export interface DeployRequest {
  workspace: string;
  server: string;
  state: LocalState;
  dryRun?: boolean;
  /** deploy even over files someone else changed on the server since this client's last deploy */
  force?: boolean;
  /** let the server refuse a deployment that deletes every agent or over half of the live files */
  guardDeletions?: boolean;
  /** let the server refuse a deployment whose agent-aware plan has a breaking change */
  guardBreaking?: boolean;
  connection?: ConnectionOptions;
  deployedBy?: string;
  message?: string;
  onProgress?: (p: DeployProgress) => void;
  /** the local cache of delta bases (default: $CAXTON_STATE_DIR/blobs); null sends everything whole */
  blobCache?: BlobCache | null;
  /** the workspace as scanned already (`deploy --watch` keeps it up to date from file events) */
  scan?: ScanResult;
  /** a client kept open across deploys (one keep-alive connection); the caller closes it */
  api?: ApiClient;
  /** when the live deployment is no longer this client's last one, fail (E_BASE_MISMATCH), do not negotiate */
  strictBase?: boolean;
  /** the git facts, when the caller keeps them across deploys (`deploy --watch`); default: read now */
  gitFacts?: () => Promise<GitInfo | undefined>;
}

export interface FilePlan {
  path: string;
  op: "added" | "modified" | "deleted";
  /** content bytes this deploy sends for the file (a delta's size): 0 when the server already holds it */
  bytes: number;
  /** how the content travelled: whole, as a delta against the server's version, or not at all */
  sent: SentAs;
}

export interface DeployOutcome {
  result: DeployResult;
  wire: WireStats;
  /** objects sent and their content bytes */
  sentObjects: number;
  sentContentBytes: number;
  files: FilePlan[];
  phases: DeployPhases;
  duration_ms: number;
  /** `monitor`: the file-system monitor named what to stat, instead of a walk */
  scan: { files: number; hashed: number; cached: number; monitor: boolean };
  /** the connection dropped before the server answered, and asking again found this deployment live */
  confirmedAfterDrop: boolean;
}

/** A deploy that failed: the error, and what crossed the wire until then (null: no request was made). */
export interface DeployFailure {
  error: CaxtonError;
  wire: WireStats | null;
  duration_ms: number;
}

export type DeployAttempt = { ok: true; outcome: DeployOutcome } | ({ ok: false } & DeployFailure);

export async function deployWorkspace(req: DeployRequest): Promise<DeployAttempt> {
  const clock = new PhaseClock();
  let plan: DeployPlan;
  try {
    plan = await planDeploy(req, clock);
  } catch (err) {
    if (!isCaxtonError(err)) throw err;
    return { ok: false, error: err, wire: null, duration_ms: clock.elapsedMs() };
  }
  let api: ApiClient;
  try {
    api = req.api ?? new ApiClient(req.server, req.connection ?? {});
  } catch (err) {
    if (!isCaxtonError(err)) throw err;
    return { ok: false, error: err, wire: null, duration_ms: clock.elapsedMs() };
  }
  try {
    return { ok: true, outcome: await deployPlanned(req, plan, api, clock) };
  } catch (err) {
    if (!isCaxtonError(err)) throw err;
    return { ok: false, error: err, wire: { ...api.stats }, duration_ms: clock.elapsedMs() };
  } finally {
    if (!req.api) api.close();
    rememberLimits(req, api);
  }
}

async function deployPlanned(
  req: DeployRequest,
  plan: DeployPlan,
  api: ApiClient,
  clock: PhaseClock,
): Promise<DeployOutcome> {
  const dryRun = req.dryRun ?? false;
  const deltas = new DeltaPlanner(
    req.blobCache === undefined ? new BlobCache() : req.blobCache,
    () => plan.changedBaseHashes(),
    plan.scan,
  );
  const uploader = new Uploader(api, plan, deltas, clock, {
    dryRun,
    force: req.force ?? false,
    guardDeletions: req.guardDeletions ?? false,
    guardBreaking: req.guardBreaking ?? false,
    onProgress: req.onProgress,
  });
  const ctx: PathContext = { plan, api, state: req.state, uploader, deltas, clock, dryRun };
  let confirmedAfterDrop = false;
  let result: DeployResult;
  try {
    result = await run(ctx, req);
  } catch (err) {
    if (dryRun || !isLostConnection(err)) throw err;
    const after = await confirmLive(api, plan.tree.root, err);
    if (after.kind !== "live") throw droppedError(serverLabel(req.server), after, err);
    result = liveAfterDrop(plan, after.deployment_id, after.time);
    confirmedAfterDrop = true;
  }
  // the pack's garbage goes before the result is recorded and reported (a watch's small deploys skip it)
  if (plan.large && !req.scan) compactHeap();
  if (!dryRun && result.deployment_id !== null && !plan.unchanged) {
    // the answers carried the server's id: record under it (an older record under the URL moves to it)
    const key = api.serverId ? req.state.learnServerId(req.server, api.serverId) : plan.serverKey;
    // the diff and the loaded file map describe the record under plan.serverKey only
    const sameKey = key === plan.serverKey;
    const diff = sameKey ? plan.treeDiff() : null;
    const stored = sameKey ? plan.loadedBaseManifest() : undefined;
    req.state.recordDeployment(
      {
        workspace_path: plan.workspace,
        server_url: key,
        server_deployment_id: result.deployment_id,
        deployed_checksum: plan.tree.root,
        deployment_time: result.timestamp,
        changes_count: result.changes_applied,
      },
      // by the tree diff when there is one: only the changed paths' rows are written
      diff ? { changes: diff.changes } : { files: plan.scan.manifest, ...(stored ? { stored } : {}) },
      // the server holds everything this tree reaches; what the base reached is on record already
      diff ? diff.objects : [...plan.treeObjects()].filter((h) => !plan.computedBaseObjects()?.has(h)),
      // the tree rows by the same diff: the base's are on record under this key
      { nodes: plan.tree.trees.values(), ...(diff ? { changed: new Set(diff.objects) } : {}) },
    );
    deltas.remember(result); // the new content of changed files: the bases of the next deploy's deltas
  }
  return {
    result,
    wire: { ...api.stats },
    sentObjects: uploader.sentObjects,
    sentContentBytes: uploader.sentContentBytes - deltas.savedBytes,
    files: planFiles(result, plan, uploader.sentHashes, deltas),
    phases: clock.phases(result),
    duration_ms: clock.elapsedMs(),
    scan: {
      files: plan.scan.files.size,
      hashed: plan.scan.hashedFiles,
      cached: plan.scan.cachedFiles,
      monitor: plan.scan.fromMonitor === true,
    },
    confirmedAfterDrop,
  };
}

/** Keeps the limits the server announced for the next deploy; a state that cannot take them is no failure. */
function rememberLimits(req: DeployRequest, api: ApiClient): void {
  if (!api.limits) return;
  try {
    req.state.rememberLimits(req.server, api.limits);
  } catch (err) {
    if (!isCaxtonError(err)) throw err;
  }
}

/**
 * The fast path, else negotiation. A workspace over the limits this server announced last time skips the
 * fast path: the negotiation asks for the current limits (the server may have raised them) and refuses
 * before anything is sent if they still do not fit.
 */
async function run(ctx: PathContext, req: DeployRequest): Promise<DeployResult> {
  const fits = withinLimits(ctx.plan.scan, ctx.state.serverLimits(ctx.api.serverUrl));
  const fast = fits ? await fastPath(ctx) : null;
  if (fast) return fast;
  if (req.strictBase && ctx.plan.last) {
    throw new CaxtonError(
      "E_BASE_MISMATCH",
      `the live deployment on ${serverLabel(req.server)} is not this client's last`,
    );
  }
  req.onProgress?.({ phase: "negotiate" });
  return negotiatedPath(ctx);
}

/**
 * What a deployment confirmed live after a dropped connection changed, as far as this client knows: the
 * difference from its base (the server's own answer, with its lists, was lost with the connection).
 */
function liveAfterDrop(plan: DeployPlan, id: number, time: string): DeployResult {
  const diff = diffManifests(plan.baseManifest(), plan.scan.manifest);
  return {
    success: true,
    dry_run: false,
    up_to_date: false,
    deployment_id: id,
    deployed_checksum: plan.tree.root,
    previous_checksum: plan.last?.deployed_checksum ?? null,
    changes_applied: diff.added.length + diff.modified.length + diff.deleted.length,
    added: diff.added,
    modified: diff.modified,
    deleted: diff.deleted,
    warnings: [],
    timestamp: time,
    validation_ms: 0,
    apply_ms: 0,
  };
}

function planFiles(
  result: DeployResult,
  plan: DeployPlan,
  sent: Set<string>,
  deltas: DeltaPlanner,
): FilePlan[] {
  const file = (path: string): Pick<FilePlan, "bytes" | "sent"> => {
    const f = plan.scan.files.get(path);
    if (!f || !sent.has(f.hash)) return { bytes: 0, sent: "none" };
    return { bytes: deltas.bytesSent(f.hash, f.size), sent: deltas.sentAs(f.hash) };
  };
  return [
    ...result.added.map((path) => ({ path, op: "added" as const, ...file(path) })),
    ...result.modified.map((path) => ({ path, op: "modified" as const, ...file(path) })),
    ...result.deleted.map((path) => ({ path, op: "deleted" as const, bytes: 0, sent: "none" as const })),
  ];
}
