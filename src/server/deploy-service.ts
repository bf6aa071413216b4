/**
 * The server's deployment logic without HTTP: negotiation, receiving a pack, resolving, validating and
 * applying a deployment through store/staged-apply.ts. http-server.ts maps requests onto it.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
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
import {
  DEFAULT_WORKSPACE,
  type CommitInput,
  type DeploymentRow,
  type DeploymentStore,
  type GcReport,
  type WorkspaceId,
  type WorkspaceStore,
  type WorkspaceTransaction,
} from "../store/deployment-store.js";
import { receivePack, type ReceivedPack } from "./receive-pack.js";
import { gatherTrees, resolveTree } from "./resolve-tree.js";

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

/** What the deploy logic reads and writes: the live deployment's or the lock holder's view. */
type WorkspaceReader = Pick<WorkspaceTransaction, "head" | "committed" | "get" | "log">;

export class DeployService {
  readonly workspace: WorkspaceStore;
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
    readonly store: DeploymentStore,
    readonly limits: ServerLimits = DEFAULT_LIMITS,
    workspace: WorkspaceId = DEFAULT_WORKSPACE,
  ) {
    this.workspace = store.workspace(workspace);
    this.events = new EventHub(this.workspace);
    // a head moved by another writer: the live view is recomputed on its next read
    store.onHeadChange((change) => {
      if (change.workspace === this.workspace.id) this.live = undefined;
    });
  }

  async current(
    reader: WorkspaceReader = this.workspace,
  ): Promise<(CurrentDeployment & { row: DeploymentRow }) | null> {
    const row = await reader.head();
    if (!row) return null;
    return { deployment_id: row.id, checksum: row.root, time: row.created_at, row };
  }

  async negotiate(rawHeader: unknown, hashes: readonly string[]): Promise<NegotiateResponse> {
    const header = parseWith(NegotiateHeaderSchema, rawHeader, "negotiation header");
    const current = await this.current();
    const upToDate = current?.checksum === header.root;
    return {
      current: current
        ? { deployment_id: current.deployment_id, checksum: current.checksum, time: current.time }
        : null,
      up_to_date: upToDate,
      have: encodeBitmap(upToDate ? [] : await this.store.objects.hasMany(hashes)),
    };
  }

  async deploy(body: AsyncIterable<Buffer>, options: DeployOptions): Promise<DeployResult> {
    const txid = `${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
    const txDir = join(this.store.tempDir, txid);
    try {
      await this.checkBase(options.ifMatch); // early, so a stale client learns before it uploads
      const pack = await receivePack(body, join(txDir, "objects"), {
        maxObjectBytes: this.limits.maxObjectBytes,
        // a tree has at least one file below it, so a deployment has at most twice as many objects as files
        maxObjects: Math.min(this.limits.maxObjects, 2 * this.limits.maxFiles + 1024),
        smallObjectBytes: 256 * 1024,
        memoryBudgetBytes: 64 * 1024 * 1024,
        bases: this.store.objects, // delta frames are applied against the stored base
      });
      const header = parseWith(DeployHeaderSchema, pack.header, "deploy header");
      return await this.workspace.withDeployLock(this.limits.lockTimeoutMs, (tx) =>
        this.applyLocked(tx, txid, pack, header, options),
      );
    } catch (err) {
      throw storageError(err);
    } finally {
      rmSync(txDir, { recursive: true, force: true });
    }
  }

  private async applyLocked(
    tx: WorkspaceTransaction,
    txid: string,
    pack: ReceivedPack,
    header: DeployHeader,
    options: DeployOptions,
  ): Promise<DeployResult> {
    const current = await this.checkBase(options.ifMatch, tx);
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
    const { manifest, missing } = await this.resolve(header.root, pack);
    if (missing.length > 0) {
      // keep what arrived, so the client's next round trip carries only what is missing
      await this.store.objects.adopt(pack.files);
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
    const previous = current ? await this.validatedFor(current.checksum) : undefined;
    const { diagnostics, state: validated } = validateIncrementally(
      this.configCache,
      await this.configEntries(manifest, pack, previous),
      previous,
    );
    const errors = diagnostics.filter((d) => d.severity === "error");
    const warnings = diagnostics.filter((d) => d.severity === "warning");
    const validationMs = performance.now() - validationStart;
    if (errors.length > 0) {
      await tx.log(txid, null, "rejected", { root: header.root, errors: errors.length });
      const files = new Set(errors.map((e) => e.path)).size;
      if (!options.dryRun) {
        await this.events.publish(txid, {
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
    const before = current ? await this.manifestOf(current.checksum) : new Map<string, string>();
    if (header.base && current && header.base !== current.checksum && !options.force) {
      const conflicts = await this.findConflicts(tx, header.base, before, manifest);
      if (conflicts.length > 0) {
        await tx.log(txid, null, "conflict", { root: header.root, files: conflicts.length });
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
      configSide(previous?.analyses ?? new Map()),
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
      await tx.log(txid, null, "dry-run", { root: header.root });
      return result;
    }
    const applyStart = performance.now();
    const arrived = [...pack.files];
    const held = await this.store.objects.hasMany(arrived.map(([hash]) => hash));
    const newObjects = new Map(arrived.filter((_, i) => !held[i]));
    const { id, createdAt } = await this.commit(tx, {
      txid,
      root: header.root,
      manifest,
      newObjects,
      parentId: current?.deployment_id ?? null,
      kind: "deploy",
      counts: { added: diff.added.length, modified: diff.modified.length, deleted: diff.deleted.length },
      deployedBy: header.deployed_by ?? null,
      meta: { ...deployMeta(header), plan: storedPlan(plan) },
    });
    this.rememberManifest(header.root, manifest);
    await this.goLive(
      txid,
      "deployment.applied",
      id,
      createdAt,
      header.root,
      current?.checksum ?? null,
      diff,
      validated,
    );
    await this.collectGarbageSoon(tx);
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
      return await this.workspace.withDeployLock(this.limits.lockTimeoutMs, async (tx) => {
        const started = performance.now();
        const current = await this.current(tx);
        if (!current)
          throw new CaxtonError("E_NOT_FOUND", "nothing has been deployed yet: nothing to roll back");
        const row = await this.findTarget(tx, target, current.deployment_id);
        const manifest = await this.manifestOfRetained(row);
        const before = await this.manifestOf(current.checksum);
        const diff = diffManifests(before, manifest);
        const txid = `${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
        await tx.log(txid, null, "begin-rollback", { to: row.id, root: row.root });
        const counts = {
          added: diff.added.length,
          modified: diff.modified.length,
          deleted: diff.deleted.length,
        };
        const previous = await this.validatedFor(current.checksum);
        const { state } = validateIncrementally(
          this.configCache,
          await this.configEntries(manifest, null, previous),
          previous,
        );
        // what the rollback means for the agents, recorded like a deploy's
        const plan = planAgentChanges(configSide(previous.analyses), configSide(state.analyses), [
          ...diff.added,
          ...diff.modified,
          ...diff.deleted,
        ]);
        const { id, createdAt } = await this.commit(tx, {
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
        await this.goLive(
          txid,
          "deployment.rolled_back",
          id,
          createdAt,
          row.root,
          current.checksum,
          diff,
          state,
        );
        await this.collectGarbageSoon(tx);
        return {
          ...emptyResult(row.root, current.checksum, createdAt, false),
          deployment_id: id,
          up_to_date: row.root === current.checksum,
          changes_applied: counts.added + counts.modified + counts.deleted,
          added: diff.added,
          modified: diff.modified,
          deleted: diff.deleted,
          apply_ms: round(performance.now() - started),
          plan,
        };
      });
    } catch (err) {
      throw storageError(err);
    }
  }

  private async commit(tx: WorkspaceTransaction, input: CommitInput) {
    const committed = await tx.commit(input);
    if (committed.bookkeepingError !== undefined) this.bookkeepingFailed(committed.bookkeepingError);
    return committed;
  }

  private async findTarget(
    tx: WorkspaceReader,
    target: string | null,
    currentId: number,
  ): Promise<DeploymentRow> {
    const rows = await tx.committed(Number.MAX_SAFE_INTEGER);
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
      const pruned = /^\d+$/.test(target) && (await tx.get(Number(target)))?.status === "pruned";
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

  private async manifestOfRetained(row: DeploymentRow): Promise<Map<string, string>> {
    try {
      return await this.manifestOf(row.root);
    } catch (err) {
      if (err instanceof CaxtonError && err.code === "E_MISSING_OBJECTS") {
        throw new CaxtonError("E_NOT_FOUND", `deployment ${row.id}'s content is no longer stored`);
      }
      throw err;
    }
  }

  /** Retention runs after a commit, off the request's path but under the deploy lock. */
  private async collectGarbageSoon(tx: WorkspaceReader): Promise<void> {
    const committed = (await tx.committed(this.limits.keepDeployments + 1)).length;
    if (committed <= this.limits.keepDeployments && !this.gcRequested) return;
    this.gcRequested = false;
    setImmediate(() => {
      this.collectGarbage().catch((err: unknown) => this.log(`gc failed: ${String(err)}`));
    });
  }

  collectGarbage(): Promise<GcReport> {
    return this.store.collectGarbage({
      keepDeployments: this.limits.keepDeployments,
      graceMs: this.limits.gcGraceMs,
      lockTimeoutMs: this.limits.lockTimeoutMs,
    });
  }

  /** The live deployment's manifest, for `caxton diff`. */
  async currentManifest(): Promise<{
    deployment_id: number;
    checksum: string;
    files: Record<string, string>;
  }> {
    const current = await this.current();
    if (!current) throw new CaxtonError("E_NOT_FOUND", "nothing has been deployed yet");
    return {
      deployment_id: current.deployment_id,
      checksum: current.checksum,
      files: Object.fromEntries(await this.manifestOf(current.checksum)),
    };
  }

  async readObject(hash: string): Promise<Buffer> {
    const bytes = await this.store.objects.read(hash);
    if (!bytes) throw new CaxtonError("E_NOT_FOUND", `no object ${hash}`);
    return bytes;
  }

  async historyList(limit: number): Promise<HistoryEntry[]> {
    return (await this.workspace.committed(limit)).map(toHistoryEntry);
  }

  private async checkBase(
    ifMatch: string | null,
    reader: WorkspaceReader = this.workspace,
  ): Promise<Awaited<ReturnType<DeployService["current"]>>> {
    const current = await this.current(reader);
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

  /**
   * A root's manifest and what neither the pack nor the store holds: tree objects are gathered level by
   * level (the pack's first, then one store read per level), then walked.
   */
  private async resolve(
    root: string,
    pack: ReceivedPack | null,
  ): Promise<{ manifest: Map<string, string>; missing: string[] }> {
    const { trees, blobs } = await gatherTrees(
      root,
      async (hashes) => {
        const found = new Map<string, Uint8Array>();
        const rest: string[] = [];
        for (const hash of hashes) {
          const file = pack?.files.get(hash);
          const bytes = pack?.small.get(hash) ?? (file ? readFileSync(file) : undefined);
          if (bytes) found.set(hash, bytes);
          else rest.push(hash);
        }
        for (const [hash, bytes] of await this.store.objects.readMany(rest)) found.set(hash, bytes);
        return found;
      },
      this.limits.maxDepth,
    );
    const unknown = [...blobs].filter((h) => !pack?.files.has(h));
    const held = await this.store.objects.hasMany(unknown);
    const absent = new Set(unknown.filter((_, i) => !held[i]));
    return resolveTree(root, { tree: (h) => trees.get(h), hasBlob: (h) => !absent.has(h) }, this.limits);
  }

  /**
   * Caxton ADR-0045: the files this deploy changes relative to its base that someone else changed on the
   * server since that base, differently. Each names the newest deployment that changed it. A base that was
   * pruned from history cannot be compared; the deploy then proceeds (the client's tree wins, as without a
   * base).
   */
  private async findConflicts(
    tx: WorkspaceReader,
    base: string,
    live: Map<string, string>,
    next: Map<string, string>,
  ): Promise<{ path: string; changed_by: string | null; time: string; deployment_id: number }[]> {
    let baseManifest: Map<string, string>;
    try {
      baseManifest = await this.manifestOf(base);
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
    const rows = await tx.committed(64);
    const blame = new Map<string, DeploymentRow>();
    for (let i = 0; i < rows.length - 1 && blame.size < conflicting.length; i++) {
      const row = rows[i] as DeploymentRow;
      if (row.root === base) break;
      let now: Map<string, string>;
      let prev: Map<string, string>;
      try {
        now = await this.manifestOf(row.root);
        prev = await this.manifestOf((rows[i + 1] as DeploymentRow).root);
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

  /**
   * Config files of a manifest for the parse cache. Content is read (in one batch from the store) only for
   * files validation will look at: changed since `previous` and of checksums the cache has not seen.
   */
  private async configEntries(
    manifest: Map<string, string>,
    pack: ReceivedPack | null,
    previous: ValidatedConfig | undefined,
  ): Promise<CacheEntry[]> {
    const configs = [...manifest].filter(([path]) => isConfigPath(path));
    const needed = configs
      .filter(([path, checksum]) => previous?.checksums.get(path) !== checksum)
      .filter(([path, checksum]) => !this.configCache.has(path, checksum) && !pack?.files.has(checksum))
      .map(([, checksum]) => checksum);
    const stored = await this.store.objects.readMany([...new Set(needed)]);
    return configs.map(([path, checksum]) => ({
      path,
      checksum,
      load: () => {
        const file = pack?.files.get(checksum);
        const bytes = pack?.small.get(checksum) ?? (file ? readFileSync(file) : stored.get(checksum));
        if (!bytes) throw new CaxtonError("E_INTERNAL", `config file ${path} (${checksum}) was not loaded`);
        return bytes;
      },
    }));
  }

  /**
   * Replaces the live view (deployment and agents) in one assignment, right after `current` was swapped,
   * so API readers see one deployment or the next, never a mix; then publishes the event.
   */
  private async goLive(
    txid: string,
    type: DeploymentEvent["type"],
    id: number,
    time: string,
    root: string,
    previous: string | null,
    diff: { added: string[]; modified: string[]; deleted: string[] },
    config: ValidatedConfig,
  ): Promise<void> {
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
    await this.events.publish(txid, {
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
  async liveView(): Promise<LiveView | null> {
    if (this.live === undefined) {
      const current = await this.current();
      if (!current) return null;
      const { row } = current;
      const config = await this.validatedFor(row.root);
      this.live ??= liveView(row.id, row.root, row.created_at, config, {
        added: [],
        modified: [],
        deleted: [],
      });
    }
    return this.live;
  }

  /** The live deployment as the API describes it, with its agent count; null before the first one. */
  async liveDeployment(): Promise<(DeploymentRow & { agents: number }) | null> {
    const live = await this.liveView();
    const row = live ? await this.workspace.get(live.deployment_id) : undefined;
    return live && row ? { ...row, agents: live.agents.length } : null;
  }

  /** The validated configuration of a deployment: the live one's is kept, others are computed. */
  private async validatedFor(root: string): Promise<ValidatedConfig> {
    if (this.live?.checksum === root) return this.live.config;
    const entries = await this.configEntries(await this.manifestOf(root), null, undefined);
    return validateIncrementally(this.configCache, entries, undefined).state;
  }

  async manifestOf(root: string): Promise<Map<string, string>> {
    let manifest = this.manifests.get(root);
    if (!manifest) {
      const resolved = await this.resolve(root, null);
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

  async close(): Promise<void> {
    this.events.closeAll();
    await this.store.close();
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
