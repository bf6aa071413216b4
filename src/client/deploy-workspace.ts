/**
 * The client side of a deployment (see docs/protocol.md, "Deploy flow"):
 *  1. scan and hash the workspace (stat cache), build the Merkle tree, validate locally;
 *  2. fast path, when this client deployed here before: send what the base lacks with If-Match: base
 *     (1 round trip; a no-change deploy is the same request with no objects);
 *  3. otherwise, or when the base moved (412): negotiate (which objects the server holds), then send the
 *     rest with If-Match: the server's current root (2 round trips);
 *  4. if the server lost objects it was thought to hold (409), send those too (one more).
 */
import { hostname, userInfo } from "node:os";
import { readFileSync } from "node:fs";
import { CaxtonError, isCaxtonError } from "../errors/caxton-error.js";
import { buildTree, type MerkleTree } from "../merkle/build-tree.js";
import { decodeBitmap } from "../protocol/negotiate-body.js";
import type { DeployResult } from "../protocol/messages.js";
import { scanWorkspace, type ScanProgress, type ScanResult } from "../workspace/scan-workspace.js";
import { VERSION } from "../version.js";
import { gitInfo } from "./git-info.js";
import { isDeltaEligible } from "../delta/is-delta-eligible.js";
import { compactHeap, LARGE_WORKSPACE_FILES, limitYoungGeneration } from "./compact-heap.js";
import { ApiClient, type ConnectionOptions, type WireStats } from "./api-client.js";
import type { LocalState } from "./local-state.js";
import type { PackObject } from "./pack-stream.js";
import { BlobCache } from "./blob-cache.js";
import { DeltaPlanner, type SentAs } from "./choose-delta.js";

export type DeployProgress =
  | ScanProgress
  | { phase: "validate" }
  | { phase: "negotiate" }
  | { phase: "upload"; sentBytes: number; totalBytes: number; objects: number }
  | { phase: "apply" };

export interface DeployRequest {
  workspace: string;
  server: string;
  state: LocalState;
  dryRun?: boolean;
  /** deploy even over files someone else changed on the server since this client's last deploy */
  force?: boolean;
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
  /** when the server moved on since this client's last deploy, fail (E_BASE_MISMATCH) instead of negotiating */
  strictBase?: boolean;
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
  phases: {
    discovery_ms: number;
    validation_ms: number;
    /** the server's part of validation_ms (its parse cache makes it proportional to the change) */
    server_validation_ms: number;
    transfer_ms: number;
    apply_ms: number;
  };
  duration_ms: number;
  scan: { files: number; hashed: number; cached: number };
}

export async function deployWorkspace(req: DeployRequest): Promise<DeployOutcome> {
  const t0 = performance.now();
  const dryRun = req.dryRun ?? false;
  limitYoungGeneration(); // before the scan, whose garbage is most of a large deploy's
  const scan =
    req.scan ??
    scanWorkspace(req.workspace, {
      cache: req.state.statCache(req.workspace),
      ...(req.onProgress ? { onProgress: req.onProgress } : {}),
    });
  const tree = buildTree(scan.manifest);
  const large = scan.files.size >= LARGE_WORKSPACE_FILES;
  if (large) compactHeap(); // the scan's garbage (stat results, cache rows) goes before the upload starts
  const last = req.state.lastDeployment(req.workspace, req.server);
  let baseFiles: Map<string, string> | undefined;
  const baseManifest = (): Map<string, string> =>
    (baseFiles ??= last ? req.state.deployedFiles(req.workspace, req.server) : new Map<string, string>());
  /** the objects the base reaches, when the fast path computed them: the server holds those already */
  let baseObjects: Set<string> | undefined;

  let validationMs = 0;
  if (tree.root !== last?.deployed_checksum) {
    req.onProgress?.({ phase: "validate" });
    const v0 = performance.now();
    await validateLocally(scan, last ? baseManifest() : null);
    validationMs = performance.now() - v0;
  }

  const api = req.api ?? new ApiClient(req.server, req.connection ?? {});
  const git = tree.root !== last?.deployed_checksum ? gitInfo(req.workspace) : undefined;
  const header = {
    root: tree.root,
    base: last?.deployed_checksum ?? null,
    deployed_by: req.deployedBy ?? defaultDeployer(),
    client_version: VERSION,
    ...(git ? { git } : {}),
    ...(req.message ? { message: req.message } : {}),
  };
  let discoveryMs = performance.now() - t0 - validationMs;
  let transferStart = 0;
  let sentObjects = 0;
  let sentContentBytes = 0;
  const sentHashes = new Set<string>();
  const deltas = new DeltaPlanner(
    req.blobCache === undefined ? new BlobCache() : req.blobCache,
    baseManifest,
    scan,
  );

  const send = async (objects: PackObject[], ifMatch: string | null): Promise<DeployResult> => {
    transferStart = performance.now();
    const totalBytes = objects.reduce((n, o) => n + (o.kind === "tree" ? o.bytes.length : o.size), 0);
    let sentBytes = 0;
    for (const o of objects) sentHashes.add(o.hash);
    sentObjects += objects.length;
    sentContentBytes += totalBytes;
    const onBytes = req.onProgress
      ? (n: number) => {
          sentBytes += n;
          req.onProgress?.({
            phase: "upload",
            sentBytes: Math.min(sentBytes, totalBytes),
            totalBytes,
            objects: objects.length,
          });
        }
      : undefined;
    // the pack writer pulls in the delta codec: loaded only when something is sent
    const { packStream } = await import("./pack-stream.js");
    const planned = deltas.plan(objects);
    const stream = large ? compactingEvery(25_000, planned) : planned;
    return api.deploy(packStream(header, stream, onBytes, deltas.packOptions), {
      ifMatch,
      dryRun,
      force: req.force ?? false,
    });
  };

  /** Sends, and when the server reports missing objects, sends those once more. */
  const sendWithRetry = async (objects: PackObject[], ifMatch: string | null): Promise<DeployResult> => {
    try {
      return await send(objects, ifMatch);
    } catch (err) {
      // a delta the server could not rebuild: the same objects again, all whole (once)
      if (isCaxtonError(err) && deltas.retryWholeAfter(err)) return sendWithRetry(objects, ifMatch);
      if (!isCaxtonError(err) || err.code !== "E_MISSING_OBJECTS") throw err;
      const missing = (err.detail?.missing as string[] | undefined) ?? [];
      deltas.refuse(missing); // e.g. a delta whose base the server lacks: whole this time
      return send(objectsFor(missing, tree, scan), ifMatch);
    }
  };

  try {
    let result: DeployResult | undefined;
    if (last) {
      const base = last.deployed_checksum;
      if (tree.root === base) {
        // no change: one bodiless request (If-None-Match, 304), without loading the base or any codec
        const live = await api.liveDeployment(tree.root);
        discoveryMs = performance.now() - t0 - validationMs;
        if (live) result = upToDate(tree.root, live.deployment_id, live.time, dryRun);
      } else {
        const baseTree = buildTree(baseManifest());
        baseObjects = objectSet(baseTree, baseManifest());
        const held = baseObjects;
        const candidates = [...objectSet(tree, scan.manifest)].filter((h) => !held.has(h));
        const known = req.state.knownOnServer(req.server, candidates);
        const needed = candidates.filter((h) => !known.has(h));
        discoveryMs = performance.now() - t0 - validationMs;
        try {
          result = await sendWithRetry(objectsFor(needed, tree, scan, baseTree), base);
        } catch (err) {
          if (!isCaxtonError(err) || err.code !== "E_BASE_MISMATCH" || req.strictBase) throw err;
          result = undefined; // the server moved on: fall back to negotiation
        }
      }
    }
    if (!result) {
      req.onProgress?.({ phase: "negotiate" });
      const all = [...objectSet(tree, scan.manifest)];
      const answer = await api.negotiate(tree.root, all);
      discoveryMs = performance.now() - t0 - validationMs;
      if (answer.up_to_date && answer.current) {
        result = upToDate(tree.root, answer.current.deployment_id, answer.current.time, dryRun);
      } else {
        const have = decodeBitmap(answer.have, all.length);
        const needed = all.filter((_, i) => !have[i]);
        // unconditional: the server serialises deployments and checks that every object is there, so a
        // deploy that lands just after another still applies exactly this tree
        result = await sendWithRetry(objectsFor(needed, tree, scan), null);
      }
    }
    if (large) compactHeap(); // the pack's garbage goes before the result is recorded and reported
    const transferMs =
      transferStart === 0 ? 0 : performance.now() - transferStart - result.validation_ms - result.apply_ms;
    if (!dryRun && result.deployment_id !== null && last?.deployed_checksum !== tree.root) {
      req.state.recordDeployment(
        {
          workspace_path: req.workspace,
          server_url: req.server,
          server_deployment_id: result.deployment_id,
          deployed_checksum: tree.root,
          deployment_time: result.timestamp,
          changes_count: result.changes_applied,
        },
        scan.manifest,
        // the server holds everything this tree reaches; what the base reached is on record already
        [...objectSet(tree, scan.manifest)].filter((h) => !baseObjects?.has(h)),
        baseFiles,
      );
      deltas.remember(result); // the new content of changed files: the bases of the next deploy's deltas
    }
    return {
      result,
      wire: { ...api.stats },
      sentObjects,
      sentContentBytes: sentContentBytes - deltas.savedBytes,
      files: planFiles(result, scan, sentHashes, deltas),
      phases: {
        discovery_ms: round(discoveryMs),
        validation_ms: round(validationMs + result.validation_ms),
        server_validation_ms: result.validation_ms,
        transfer_ms: round(Math.max(0, transferMs)),
        apply_ms: result.apply_ms,
      },
      duration_ms: round(performance.now() - t0),
      scan: { files: scan.files.size, hashed: scan.hashedFiles, cached: scan.cachedFiles },
    };
  } catch (err) {
    if (isCaxtonError(err)) {
      // carry the wire statistics on the error, for `deploy --json` on rejection
      Object.assign(err, { wire: { ...api.stats }, duration_ms: round(performance.now() - t0) });
    }
    throw err;
  } finally {
    if (!req.api) api.close();
  }
}

/** Yields the objects, collecting garbage every `n` of them (see compact-heap.ts). */
function* compactingEvery(n: number, objects: readonly PackObject[]): Generator<PackObject> {
  let i = 0;
  for (const o of objects) {
    if (++i % n === 0) compactHeap();
    yield o;
  }
}

/** Runs the same rules as the server, before anything is uploaded: a broken file fails with no round trip. */
/**
 * Runs the server's rules before anything is uploaded, so a broken file fails with no round trip. With a
 * base (this client deployed here before), only the config files changed since are checked file by file
 * — the unchanged ones passed the server's checks then — and the cross-file rules are left to the server,
 * which caches every file's analysis: a one-agent change on a 10,000-agent workspace reads one file here,
 * not 10,000 (~0.5 s). Any local error triggers the full check, so every problem is reported at once.
 */
export async function validateLocally(
  scan: ScanResult,
  base: ReadonlyMap<string, string> | null,
): Promise<void> {
  // the validator (TOML parser, schemas) loads only when there is something to validate
  const { isConfigPath, validateWorkspace } = await import("../config/validate-workspace.js");
  const configFiles = [...scan.files.values()].filter((f) => isConfigPath(f.path));
  const read = (f: { path: string; absPath: string }) => ({ path: f.path, content: readFileSync(f.absPath) });
  if (base) {
    const { analyzeFile } = await import("../config/analyze-file.js");
    const changed = configFiles.filter((f) => base.get(f.path) !== f.hash);
    const broken = changed.some((f) => analyzeFile(f.path, read(f).content).hasErrors);
    if (!broken) return;
  }
  const diagnostics = validateWorkspace(configFiles.map(read));
  const errors = diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) {
    const count = new Set(errors.map((e) => e.path)).size;
    throw new CaxtonError(
      "E_VALIDATION",
      `deployment rejected: ${errors.length} error(s) in ${count} file(s); nothing was sent or applied`,
      { detail: { errors, warnings: diagnostics.filter((d) => d.severity === "warning") } },
    );
  }
}

function objectSet(tree: MerkleTree, manifest: ReadonlyMap<string, string>): Set<string> {
  const set = new Set<string>();
  for (const node of tree.trees.values()) set.add(node.hash);
  for (const hash of manifest.values()) set.add(hash);
  return set;
}

/**
 * The pack objects for these hashes. With the base's trees (fast path: the server holds them), a changed
 * folder's tree object may travel as a delta against the same folder's old one: in a folder of 10,000
 * agents a one-agent change is then ~100 bytes of tree instead of ~450 KB of mostly incompressible hashes.
 */
function objectsFor(
  hashes: readonly string[],
  tree: MerkleTree,
  scan: ScanResult,
  baseTrees?: MerkleTree,
): PackObject[] {
  const wanted = new Set(hashes);
  const out: PackObject[] = [];
  for (const node of tree.trees.values()) {
    if (!wanted.delete(node.hash)) continue;
    const old = baseTrees?.trees.get(node.path);
    const base = old && isDeltaEligible(old.bytes.length, node.bytes.length) ? old : undefined;
    out.push({
      kind: "tree",
      hash: node.hash,
      bytes: node.bytes,
      ...(base ? { deltaBase: { hash: base.hash, bytes: base.bytes } } : {}),
    });
  }
  for (const f of scan.files.values()) {
    if (wanted.delete(f.hash))
      out.push({ kind: "blob", hash: f.hash, size: f.size, absPath: f.absPath, path: f.path });
  }
  if (wanted.size > 0) {
    throw new CaxtonError(
      "E_PROTOCOL",
      `the server asked for ${wanted.size} object(s) this workspace does not have`,
    );
  }
  return out;
}

function planFiles(
  result: DeployResult,
  scan: ScanResult,
  sent: Set<string>,
  deltas: DeltaPlanner,
): FilePlan[] {
  const file = (path: string): Pick<FilePlan, "bytes" | "sent"> => {
    const f = scan.files.get(path);
    if (!f || !sent.has(f.hash)) return { bytes: 0, sent: "none" };
    return { bytes: deltas.bytesSent(f.hash, f.size), sent: deltas.sentAs(f.hash) };
  };
  return [
    ...result.added.map((path) => ({ path, op: "added" as const, ...file(path) })),
    ...result.modified.map((path) => ({ path, op: "modified" as const, ...file(path) })),
    ...result.deleted.map((path) => ({ path, op: "deleted" as const, bytes: 0, sent: "none" as const })),
  ];
}

function upToDate(root: string, id: number, time: string, dryRun: boolean): DeployResult {
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

export function defaultDeployer(): string {
  let user = process.env.USER ?? "unknown";
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers): keep $USER
  }
  return `${user}@${hostname()}`;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
