/**
 * The server's deployment logic without HTTP: negotiation, receiving a pack, resolving, validating and
 * applying a deployment through store/staged-apply.ts. http-server.ts maps requests onto it.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { CaxtonError } from "../errors/caxton-error.js";
import { refuseBreaking, storedPlan } from "../config/breaking-guard.js";
import { refuseMassDeletion } from "../config/deletion-guard.js";
import { configSide, planAgentChanges } from "../config/plan-agent-changes.js";
import { diffManifests } from "../merkle/diff-manifests.js";
import { isConfigPath } from "../config/validate-workspace.js";
import { ConfigCache, type AgentRecord, type CacheEntry } from "../config/config-cache.js";
import { EventHub, type DeploymentEvent } from "./event-hub.js";
import { sortedAgents, validateIncrementally, type ValidatedConfig } from "./incremental-validation.js";
import {
  DeployHeaderSchema,
  type DeployHeader,
  NegotiateHeaderSchema,
  type DeployResult,
  type NegotiateResponse,
  type CurrentDeployment,
  AgentPlanSchema,
  type AgentPlan,
} from "../protocol/messages.js";
import { encodeBitmap } from "../protocol/negotiate-body.js";
import { dataDir, type DataDir } from "../store/data-dir.js";
import { realDurability, type DurabilityPort } from "../store/durable-fs.js";
import { HistoryDb, type DeploymentRow } from "../store/history-db.js";
import { ObjectStore } from "../store/object-store.js";
import { recoverDataDir, type RecoveryReport } from "../store/recover-data-dir.js";
import { adoptDurably, stagedApply } from "../store/staged-apply.js";
import { collectGarbage, type GcReport } from "../store/collect-garbage.js";
import { readCurrentId } from "../store/current-link.js";
import { DeployLock } from "../store/deploy-lock.js";
import { receivePack, type ReceivedPack } from "./receive-pack.js";
import { resolveTree, type ObjectSource } from "./resolve-tree.js";

export interface ServerLimits {
  maxObjectBytes: number;
  maxObjects: number;
  maxFiles: number;
  maxDepth: number;
  maxNegotiateHashes: number;
  lockTimeoutMs: number;
  /** committed deployments kept for rollback; older ones are pruned and their objects collected */
  keepDeployments: number;
  /** unreferenced objects younger than this survive garbage collection */
  gcGraceMs: number;
  /** a deploy request body, after decompression (a zstd bomb fails one byte past this, 413) */
  maxBodyBytes: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxObjectBytes: 4 * 1024 ** 3,
  maxObjects: 2_000_000,
  maxFiles: 1_000_000,
  maxDepth: 128,
  maxNegotiateHashes: 2_000_000,
  lockTimeoutMs: 60_000,
  keepDeployments: 50,
  gcGraceMs: 3_600_000,
  maxBodyBytes: 8 * 1024 ** 3,
};

export interface DeployOptions {
  /** the root the client based its change on (If-Match); "none" when it expects no deployment yet */
  ifMatch: string | null;
  dryRun: boolean;
  /** deploy even when files this client changes were changed on the server by someone else meanwhile */
  force?: boolean;
  /** refuse a deployment that deletes every agent or over half of the live files (config/deletion-guard.ts) */
  guardDeletions?: boolean;
  /** refuse a deployment whose agent-aware plan has a breaking change (config/breaking-guard.ts) */
  guardBreaking?: boolean;
}

export class DeployService {
  readonly dir: DataDir;
  readonly history: HistoryDb;
  readonly objects: ObjectStore;
  readonly recovery: RecoveryReport;
  private readonly lock = new DeployLock();
  private readonly manifests = new Map<string, Map<string, string>>();
  readonly configCache = new ConfigCache();
  readonly events: EventHub;
  /** undefined until first needed (computed from `current`), then replaced whole on every swap */
  private live: LiveView | undefined;
  private gcRequested = true;
  log: (line: string) => void = () => {};
  private readonly bookkeepingFailed = (err: unknown): void =>
    this.log(`deployment is live but its history row could not be updated (recovery will): ${String(err)}`);

  constructor(
    root: string,
    readonly limits: ServerLimits = DEFAULT_LIMITS,
    readonly durability: DurabilityPort = realDurability,
  ) {
    this.dir = dataDir(root);
    mkdirSync(this.dir.root, { recursive: true });
    this.recovery = recoverDataDir(this.dir, (this.history = new HistoryDb(this.dir.db)));
    this.objects = new ObjectStore(this.dir.objects);
    this.events = new EventHub(this.history);
  }

  current(): (CurrentDeployment & { row: DeploymentRow }) | null {
    const id = readCurrentId(this.dir);
    if (id === null) return null;
    const row = this.history.get(id);
    if (!row) throw new CaxtonError("E_INTERNAL", `current points at deployment ${id}, which history lacks`);
    return { deployment_id: row.id, checksum: row.root, time: row.created_at, row };
  }

  negotiate(rawHeader: unknown, hashes: readonly string[]): NegotiateResponse {
    const header = parseWith(NegotiateHeaderSchema, rawHeader, "negotiation header");
    const current = this.current();
    const upToDate = current?.checksum === header.root;
    return {
      current: current
        ? { deployment_id: current.deployment_id, checksum: current.checksum, time: current.time }
        : null,
      up_to_date: upToDate,
      have: encodeBitmap(upToDate ? [] : hashes.map((h) => this.objects.has(h))),
    };
  }

  async deploy(body: AsyncIterable<Buffer>, options: DeployOptions): Promise<DeployResult> {
    const txid = `${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
    const txDir = join(this.dir.tmp, txid);
    try {
      this.checkBase(options.ifMatch); // early, so a stale client learns before it uploads
      const pack = await receivePack(body, join(txDir, "objects"), {
        maxObjectBytes: this.limits.maxObjectBytes,
        // a tree has at least one file below it, so a deployment has at most twice as many objects as files
        maxObjects: Math.min(this.limits.maxObjects, 2 * this.limits.maxFiles + 1024),
        smallObjectBytes: 256 * 1024,
        memoryBudgetBytes: 64 * 1024 * 1024,
        bases: this.objects, // delta frames are applied against the stored base
      });
      const header = parseWith(DeployHeaderSchema, pack.header, "deploy header");
      return await this.lock.run(this.limits.lockTimeoutMs, () =>
        this.applyLocked(txid, pack, header, options),
      );
    } catch (err) {
      throw storageError(err);
    } finally {
      rmSync(txDir, { recursive: true, force: true });
    }
  }

  private applyLocked(
    txid: string,
    pack: ReceivedPack,
    header: DeployHeader,
    options: DeployOptions,
  ): DeployResult {
    const current = this.checkBase(options.ifMatch);
    const timestamp = new Date().toISOString();
    if (current?.checksum === header.root) {
      return {
        ...emptyResult(header.root, current.checksum, timestamp, options.dryRun),
        up_to_date: true,
        deployment_id: current.deployment_id,
      };
    }
    this.history.log(txid, null, "begin", {
      root: header.root,
      base: current?.checksum ?? null,
      dry_run: options.dryRun,
    });
    const source = this.sourceFor(pack);
    const { manifest, missing } = resolveTree(header.root, source, this.limits);
    if (missing.length > 0) {
      // keep what arrived, so the client's next round trip carries only what is missing
      adoptDurably(this.applyContext(), pack.files);
      this.history.log(txid, null, "missing-objects", { count: missing.length });
      throw new CaxtonError(
        "E_MISSING_OBJECTS",
        `the server lacks ${missing.length} object(s) of this deployment`,
        {
          detail: { missing: missing.slice(0, 100_000), unapplied_deltas: pack.unappliedDeltas },
        },
      );
    }
    const validationStart = performance.now();
    const { diagnostics, state: validated } = validateIncrementally(
      this.configCache,
      [...this.configEntries(manifest, pack)],
      current ? this.validatedFor(current.checksum) : undefined,
    );
    const errors = diagnostics.filter((d) => d.severity === "error");
    const warnings = diagnostics.filter((d) => d.severity === "warning");
    const validationMs = performance.now() - validationStart;
    if (errors.length > 0) {
      this.history.log(txid, null, "rejected", { root: header.root, errors: errors.length });
      const files = new Set(errors.map((e) => e.path)).size;
      if (!options.dryRun) {
        this.events.publish(txid, {
          ...this.eventBase("deployment.rejected", null, header.root, current?.checksum ?? null),
          changed_agents: [...new Set(errors.map((e) => e.path))].filter((p) => p.startsWith("agents/")),
          errors: errors.length,
        });
      }
      throw new CaxtonError(
        "E_VALIDATION",
        `deployment rejected: ${errors.length} error(s) in ${files} file(s); nothing was applied`,
        { detail: { errors, warnings } },
      );
    }
    const before = current ? this.manifestOf(current.checksum) : new Map<string, string>();
    if (header.base && current && header.base !== current.checksum && !options.force) {
      const conflicts = this.findConflicts(header.base, before, manifest);
      if (conflicts.length > 0) {
        this.history.log(txid, null, "conflict", { root: header.root, files: conflicts.length });
        const [first] = conflicts;
        const more = conflicts.length > 1 ? ` (and ${conflicts.length - 1} more file(s))` : "";
        throw new CaxtonError(
          "E_CONFLICT",
          `${first?.path} was changed on the server by ${first?.changed_by ?? "another deploy"} at ${first?.time} (deployment #${first?.deployment_id}) since your last deploy${more}; nothing was applied`,
          { detail: { conflicts } },
        );
      }
    }
    const diff = diffManifests(before, manifest);
    if (options.guardDeletions && !options.dryRun) refuseMassDeletion(before, manifest, diff.deleted);
    const plan = planAgentChanges(
      configSide(current ? this.validatedFor(current.checksum).analyses : new Map()),
      configSide(validated.analyses),
      [...diff.added, ...diff.modified, ...diff.deleted],
    );
    if (options.guardBreaking && !options.dryRun) refuseBreaking(plan);
    const result: DeployResult = {
      ...emptyResult(header.root, current?.checksum ?? null, timestamp, options.dryRun),
      changes_applied: diff.added.length + diff.modified.length + diff.deleted.length,
      added: diff.added,
      modified: diff.modified,
      deleted: diff.deleted,
      warnings,
      validation_ms: round(validationMs),
      plan,
    };
    if (options.dryRun) {
      this.history.log(txid, null, "dry-run", { root: header.root });
      return result;
    }
    const applyStart = performance.now();
    const newObjects = new Map([...pack.files].filter(([hash]) => !this.objects.has(hash)));
    const { id, createdAt } = stagedApply(
      this.applyContext(),
      {
        txid,
        root: header.root,
        manifest,
        newObjects,
        parentId: current?.deployment_id ?? null,
        kind: "deploy",
        counts: { added: diff.added.length, modified: diff.modified.length, deleted: diff.deleted.length },
        deployedBy: header.deployed_by ?? null,
        meta: { ...deployMeta(header), plan: storedPlan(plan) },
      },
      this.bookkeepingFailed,
    );
    this.rememberManifest(header.root, manifest);
    this.goLive(
      txid,
      "deployment.applied",
      id,
      createdAt,
      header.root,
      current?.checksum ?? null,
      diff,
      validated,
    );
    this.collectGarbageSoon();
    return {
      ...result,
      deployment_id: id,
      timestamp: createdAt,
      apply_ms: round(performance.now() - applyStart),
    };
  }

  /**
   * Makes an earlier deployment live again, by id or by checksum (a unique prefix of at least 7 digits);
   * by default the one committed before the live one. Recorded as a deployment of kind "rollback".
   */
  async rollback(target: string | null, deployedBy: string | null): Promise<DeployResult> {
    try {
      return await this.lock.run(this.limits.lockTimeoutMs, () => {
        const started = performance.now();
        const current = this.current();
        if (!current)
          throw new CaxtonError("E_NOT_FOUND", "nothing has been deployed yet: nothing to roll back");
        const row = this.findTarget(target, current.deployment_id);
        const manifest = this.manifestOfRetained(row);
        const before = this.manifestOf(current.checksum);
        const diff = diffManifests(before, manifest);
        const txid = `${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
        this.history.log(txid, null, "begin-rollback", { to: row.id, root: row.root });
        const counts = {
          added: diff.added.length,
          modified: diff.modified.length,
          deleted: diff.deleted.length,
        };
        const { id, createdAt } = stagedApply(
          this.applyContext(),
          {
            txid,
            root: row.root,
            manifest,
            newObjects: new Map(),
            parentId: current.deployment_id,
            kind: "rollback",
            counts,
            deployedBy,
            meta: { rollback_of: row.id },
          },
          this.bookkeepingFailed,
        );
        const { state } = validateIncrementally(
          this.configCache,
          [...this.configEntries(manifest, null)],
          this.validatedFor(current.checksum),
        );
        this.goLive(txid, "deployment.rolled_back", id, createdAt, row.root, current.checksum, diff, state);
        this.collectGarbageSoon();
        return {
          ...emptyResult(row.root, current.checksum, createdAt, false),
          deployment_id: id,
          up_to_date: row.root === current.checksum,
          changes_applied: counts.added + counts.modified + counts.deleted,
          added: diff.added,
          modified: diff.modified,
          deleted: diff.deleted,
          apply_ms: round(performance.now() - started),
        };
      });
    } catch (err) {
      throw storageError(err);
    }
  }

  private findTarget(target: string | null, currentId: number): DeploymentRow {
    const rows = this.history.committed(Number.MAX_SAFE_INTEGER);
    let row: DeploymentRow | undefined;
    if (target === null) {
      row = rows.find((r) => r.id < currentId);
      if (!row) throw new CaxtonError("E_NOT_FOUND", "there is no earlier deployment to roll back to");
      return row;
    }
    if (/^\d+$/.test(target)) row = rows.find((r) => r.id === Number(target));
    else if (/^[0-9a-f]{7,64}$/.test(target)) {
      const matches = [...new Set(rows.filter((r) => r.root.startsWith(target)).map((r) => r.root))];
      if (matches.length > 1) {
        throw new CaxtonError("E_USAGE", `checksum prefix ${target} is ambiguous`, {
          hint: "give more digits",
        });
      }
      row = rows.find((r) => r.root === matches[0]);
    } else {
      throw new CaxtonError("E_USAGE", `not a deployment id or checksum: ${target}`);
    }
    if (!row) {
      const pruned = /^\d+$/.test(target) && this.history.get(Number(target))?.status === "pruned";
      throw new CaxtonError(
        "E_NOT_FOUND",
        pruned
          ? `deployment ${target} is older than the retention window and was pruned`
          : `no deployment ${target}`,
        { hint: "`caxton log` lists the deployments you can roll back to" },
      );
    }
    return row;
  }

  private manifestOfRetained(row: DeploymentRow): Map<string, string> {
    try {
      return this.manifestOf(row.root);
    } catch (err) {
      if (err instanceof CaxtonError && err.code === "E_MISSING_OBJECTS") {
        throw new CaxtonError("E_NOT_FOUND", `deployment ${row.id}'s content is no longer stored`);
      }
      throw err;
    }
  }

  /** Retention runs after a commit, off the request's path but under the deploy lock. */
  private collectGarbageSoon(): void {
    const committed = this.history.committed(this.limits.keepDeployments + 1).length;
    if (committed <= this.limits.keepDeployments && !this.gcRequested) return;
    this.gcRequested = false;
    setImmediate(() => {
      this.lock
        .run(this.limits.lockTimeoutMs, () => this.collectGarbage())
        .catch((err: unknown) => this.log(`gc failed: ${String(err)}`));
    });
  }

  collectGarbage(): GcReport {
    return collectGarbage(this.applyContext(), this.limits.keepDeployments, this.limits.gcGraceMs);
  }

  /** The live deployment's manifest, for `caxton diff`. */
  currentManifest(): { deployment_id: number; checksum: string; files: Record<string, string> } {
    const current = this.current();
    if (!current) throw new CaxtonError("E_NOT_FOUND", "nothing has been deployed yet");
    return {
      deployment_id: current.deployment_id,
      checksum: current.checksum,
      files: Object.fromEntries(this.manifestOf(current.checksum)),
    };
  }

  readObject(hash: string): Buffer {
    if (!this.objects.has(hash)) throw new CaxtonError("E_NOT_FOUND", `no object ${hash}`);
    return this.objects.read(hash);
  }

  historyList(limit: number): HistoryEntry[] {
    return this.history.committed(limit).map(toHistoryEntry);
  }

  private checkBase(ifMatch: string | null): ReturnType<DeployService["current"]> {
    const current = this.current();
    if (ifMatch === null) return current;
    const actual = current?.checksum ?? "none";
    if (ifMatch !== actual) {
      throw new CaxtonError(
        "E_BASE_MISMATCH",
        `the live deployment is ${actual}, not the expected ${ifMatch}`,
        {
          detail: {
            current: current ? { deployment_id: current.deployment_id, checksum: current.checksum } : null,
          },
        },
      );
    }
    return current;
  }

  private sourceFor(pack: ReceivedPack): ObjectSource {
    return {
      tree: (hash) => {
        const small = pack.small.get(hash);
        if (small) return small;
        const file = pack.files.get(hash);
        if (file) return readFileSync(file);
        return this.objects.has(hash) ? this.objects.read(hash) : undefined;
      },
      hasBlob: (hash) => pack.files.has(hash) || this.objects.has(hash),
    };
  }

  /**
   * Caxton ADR-0045: the files this deploy changes relative to its base that someone else changed on the
   * server since that base, differently. Each names the newest deployment that changed it. A base that was
   * pruned from history cannot be compared; the deploy then proceeds (the client's tree wins, as without a
   * base).
   */
  private findConflicts(
    base: string,
    live: Map<string, string>,
    next: Map<string, string>,
  ): { path: string; changed_by: string | null; time: string; deployment_id: number }[] {
    let baseManifest: Map<string, string>;
    try {
      baseManifest = this.manifestOf(base);
    } catch {
      return [];
    }
    const changed = (a: Map<string, string>, b: Map<string, string>, path: string): boolean =>
      a.get(path) !== b.get(path);
    const paths = new Set([...baseManifest.keys(), ...live.keys(), ...next.keys()]);
    const conflicting = [...paths].filter(
      (p) => changed(baseManifest, next, p) && changed(baseManifest, live, p) && changed(live, next, p),
    );
    if (conflicting.length === 0) return [];
    // who changed each: walk back from the live deployment to the base, newest first (bounded)
    const rows = this.history.committed(64);
    const blame = new Map<string, DeploymentRow>();
    for (let i = 0; i < rows.length - 1 && blame.size < conflicting.length; i++) {
      const row = rows[i] as DeploymentRow;
      if (row.root === base) break;
      let now: Map<string, string>;
      let prev: Map<string, string>;
      try {
        now = this.manifestOf(row.root);
        prev = this.manifestOf((rows[i + 1] as DeploymentRow).root);
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

  /** Config files of a manifest for the parse cache: content is loaded only for checksums it has not seen. */
  private *configEntries(manifest: Map<string, string>, pack: ReceivedPack | null): Generator<CacheEntry> {
    for (const [path, checksum] of manifest) {
      if (!isConfigPath(path)) continue;
      yield {
        path,
        checksum,
        load: () => {
          const file = pack?.files.get(checksum);
          return pack?.small.get(checksum) ?? (file ? readFileSync(file) : this.objects.read(checksum));
        },
      };
    }
  }

  /**
   * Replaces the live view (deployment and agents) in one assignment, right after `current` was swapped,
   * so API readers see one deployment or the next, never a mix; then publishes the event.
   */
  private goLive(
    txid: string,
    type: DeploymentEvent["type"],
    id: number,
    time: string,
    root: string,
    previous: string | null,
    diff: { added: string[]; modified: string[]; deleted: string[] },
    config: ValidatedConfig,
  ): void {
    const before = this.live;
    this.live = liveView(id, root, time, config, diff);
    // the agents this deployment changed: those whose files changed, before or after (proportional to the diff)
    const changed = new Set<string>();
    for (const path of [...diff.added, ...diff.modified, ...diff.deleted]) {
      const now = config.agents.get(path)?.name;
      const was = before?.config.agents.get(path)?.name;
      if (now) changed.add(now);
      if (was) changed.add(was);
    }
    this.events.publish(txid, {
      ...this.eventBase(type, id, root, previous),
      changed_agents: [...changed].sort(),
      added: diff.added.length,
      modified: diff.modified.length,
      deleted: diff.deleted.length,
    });
  }

  private eventBase(type: DeploymentEvent["type"], id: number | null, root: string, previous: string | null) {
    return {
      type,
      time: new Date().toISOString(),
      deployment_id: id,
      checksum: root,
      previous_checksum: previous,
      changed_agents: [] as string[],
      added: 0,
      modified: 0,
      deleted: 0,
    };
  }

  /** The live configuration as the read API serves it; null before the first deployment. */
  liveView(): LiveView | null {
    if (this.live === undefined) {
      const current = this.current();
      if (!current) return null;
      const { row } = current;
      this.live = liveView(row.id, row.root, row.created_at, this.validatedFor(row.root), {
        added: [],
        modified: [],
        deleted: [],
      });
    }
    return this.live;
  }

  /** The validated configuration of a deployment: the live one's is kept, others are computed. */
  private validatedFor(root: string): ValidatedConfig {
    if (this.live?.checksum === root) return this.live.config;
    const entries = [...this.configEntries(this.manifestOf(root), null)];
    return validateIncrementally(this.configCache, entries, undefined).state;
  }

  manifestOf(root: string): Map<string, string> {
    let manifest = this.manifests.get(root);
    if (!manifest) {
      const resolved = resolveTree(
        root,
        {
          tree: (h) => (this.objects.has(h) ? this.objects.read(h) : undefined),
          hasBlob: (h) => this.objects.has(h),
        },
        this.limits,
      );
      // a root whose objects were collected has no manifest: a partial one would read as "every file differs"
      if (resolved.missing.length > 0) {
        throw new CaxtonError(
          "E_MISSING_OBJECTS",
          `the server no longer stores ${resolved.missing.length} object(s) of tree ${root}`,
          { detail: { missing: resolved.missing.slice(0, 100), unapplied_deltas: [] } },
        );
      }
      manifest = resolved.manifest;
      this.rememberManifest(root, manifest);
    }
    return manifest;
  }

  /** The few most recent manifests (the live one, its base, a rollback target), bounded. */
  private rememberManifest(root: string, manifest: Map<string, string>): void {
    this.manifests.delete(root);
    if (this.manifests.size >= 4) this.manifests.delete(this.manifests.keys().next().value as string);
    this.manifests.set(root, manifest);
  }

  private applyContext() {
    return { dir: this.dir, history: this.history, objects: this.objects, durability: this.durability };
  }

  close(): void {
    this.events.closeAll();
    this.history.close();
  }
}

export interface LiveView {
  deployment_id: number;
  checksum: string;
  time: string;
  config: ValidatedConfig;
  /** sorted by path; computed on first read (a deploy does not pay for sorting 10,000 agents) */
  readonly agents: AgentRecord[];
  readonly byName: Map<string, AgentRecord>;
  counts: { added: string[]; modified: string[]; deleted: string[] };
}

function liveView(
  id: number,
  root: string,
  time: string,
  config: ValidatedConfig,
  counts: LiveView["counts"],
): LiveView {
  let agents: AgentRecord[] | undefined;
  let byName: Map<string, AgentRecord> | undefined;
  return {
    deployment_id: id,
    checksum: root,
    time,
    config,
    counts,
    get agents() {
      return (agents ??= sortedAgents(config));
    },
    get byName() {
      return (byName ??= new Map(this.agents.map((a) => [a.name, a])));
    },
  };
}

export interface HistoryEntry {
  id: number;
  time: string;
  checksum: string;
  kind: string;
  added: number;
  modified: number;
  deleted: number;
  deployed_by: string | null;
  message: string | null;
  git: { commit: string; branch: string | null; dirty: boolean } | null;
  rollback_of: number | null;
  plan: AgentPlan | null;
}

function toHistoryEntry(row: DeploymentRow): HistoryEntry {
  let meta: Record<string, unknown> = {};
  try {
    meta = row.meta ? (JSON.parse(row.meta) as Record<string, unknown>) : {};
  } catch {
    meta = {};
  }
  return {
    id: row.id,
    time: row.created_at,
    checksum: row.root,
    kind: row.kind,
    added: row.added,
    modified: row.modified,
    deleted: row.deleted,
    deployed_by: row.deployed_by,
    message: typeof meta.message === "string" ? meta.message : null,
    git: (meta.git as HistoryEntry["git"]) ?? null,
    rollback_of: typeof meta.rollback_of === "number" ? meta.rollback_of : null,
    plan: storedPlanOf(meta.plan),
  };
}

/** The plan a deployment record keeps, if it parses (older records have none). */
function storedPlanOf(value: unknown): AgentPlan | null {
  const r = AgentPlanSchema.safeParse(value);
  return r.success ? r.data : null;
}

function deployMeta(header: DeployHeader): Record<string, unknown> | null {
  const meta: Record<string, unknown> = {};
  if (header.message) meta.message = header.message;
  if (header.git) meta.git = header.git;
  return Object.keys(meta).length > 0 ? meta : null;
}

/** A full disk or a failing device becomes E_STORAGE (507): the previous deployment is still live. */
function storageError(err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === "ENOSPC" || code === "EDQUOT" || code === "EIO" || code === "EROFS") {
    return new CaxtonError(
      "E_STORAGE",
      `the server could not write its data dir (${code}); nothing was applied`,
      {
        cause: err,
      },
    );
  }
  return err;
}

function emptyResult(
  root: string,
  previous: string | null,
  timestamp: string,
  dryRun: boolean,
): DeployResult {
  return {
    success: true,
    dry_run: dryRun,
    up_to_date: false,
    deployment_id: null,
    deployed_checksum: root,
    previous_checksum: previous,
    changes_applied: 0,
    added: [],
    modified: [],
    deleted: [],
    warnings: [],
    timestamp,
    validation_ms: 0,
    apply_ms: 0,
  };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

function parseWith<T>(
  schema: {
    safeParse(v: unknown): { success: true; data: T } | { success: false; error: { message: string } };
  },
  value: unknown,
  what: string,
): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new CaxtonError("E_BAD_REQUEST", `invalid ${what}: ${r.error.message}`);
  return r.data;
}
