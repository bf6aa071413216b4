/**
 * The server's deployment logic without HTTP, for one workspace (workspace-services.ts holds them all), over the store port
 * (store/deployment-store.ts). This orchestrates; each job has its module: negotiation (negotiation.ts),
 * applying a pack (apply-deployment.ts), rollback and its target (rollback.ts, rollback-target.ts),
 * conflicts (find-conflicts.ts), manifests (manifest-cache.ts), the live view (live-view.ts), events
 * (event-hub.ts, deployment-events.ts), GC scheduling (gc-scheduler.ts), row-to-API mapping
 * (history-entry.ts), storage errors (storage-error.ts). http-server.ts maps requests onto it.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { ConfigCache } from "../config/config-cache.js";
import { CaxtonError } from "../errors/caxton-error.js";
import {
  DeployHeaderSchema,
  type DeployResult,
  type HistoryEntry,
  type NegotiateResponse,
} from "../protocol/messages.js";
import { parseMessage } from "../protocol/parse-message.js";
import {
  DEFAULT_WORKSPACE,
  type DeploymentRow,
  type DeploymentStore,
  type GcReport,
  type WorkspaceId,
  type WorkspaceStore,
} from "../store/deployment-store.js";
import { applyDeployment, checkBase, type DeployOptions } from "./apply-deployment.js";
import { currentDeployment, newTxid, type DeployContext, type LiveDeployment } from "./deploy-context.js";
import { EventHub } from "./event-hub.js";
import { GcScheduler } from "./gc-scheduler.js";
import { toHistoryEntry } from "./history-entry.js";
import { LiveState, type LiveView } from "./live-view.js";
import { ManifestCache } from "./manifest-cache.js";
import { negotiate } from "./negotiation.js";
import { receivePack } from "./receive-pack.js";
import { rollbackDeployment } from "./rollback.js";
import { DEFAULT_LIMITS, type ServerLimits } from "./server-limits.js";
import { storageError } from "./storage-error.js";

export type { DeployOptions } from "./apply-deployment.js";
export type { LiveView } from "./live-view.js";

export class DeployService {
  readonly workspace: WorkspaceStore;
  readonly events: EventHub;
  log: (line: string) => void = () => {};
  private readonly ctx: DeployContext;

  constructor(
    readonly store: DeploymentStore,
    readonly limits: ServerLimits = DEFAULT_LIMITS,
    workspace: WorkspaceId = DEFAULT_WORKSPACE,
    /** shared by every workspace's service (collection covers them all) */
    gc: GcScheduler = new GcScheduler(store, limits, (line) => this.log(line)),
  ) {
    this.workspace = store.workspace(workspace);
    this.events = new EventHub(this.workspace);
    const manifests = new ManifestCache(store.objects, limits);
    const configCache = new ConfigCache();
    const log = (line: string): void => this.log(line);
    this.ctx = {
      store,
      workspace: this.workspace,
      limits,
      manifests,
      configCache,
      events: this.events,
      live: new LiveState(this.workspace, store.objects, manifests, configCache, this.events),
      gc,
      log,
    };
    // a head moved by another writer: the live view is recomputed on its next read
    store.onHeadChange((change) => {
      if (change.workspace !== this.workspace.id) return;
      this.ctx.live.invalidate();
      void this.events.relay(change.deploymentId);
    });
  }

  current(): Promise<LiveDeployment | null> {
    return currentDeployment(this.workspace);
  }

  negotiate(rawHeader: unknown, hashes: readonly string[]): Promise<NegotiateResponse> {
    return negotiate(this.ctx, rawHeader, hashes);
  }

  async deploy(body: AsyncIterable<Buffer>, options: DeployOptions): Promise<DeployResult> {
    const txid = newTxid();
    const txDir = join(this.store.tempDir, txid);
    try {
      await checkBase(this.workspace, options.ifMatch); // early, so a stale client learns before it uploads
      const pack = await receivePack(body, join(txDir, "objects"), {
        maxObjectBytes: this.limits.maxObjectBytes,
        // a tree has at least one file below it, so a deployment has at most twice as many objects as files
        maxObjects: Math.min(this.limits.maxObjects, 2 * this.limits.maxFiles + 1024),
        smallObjectBytes: 256 * 1024,
        memoryBudgetBytes: 64 * 1024 * 1024,
        bases: this.store.objects, // delta frames are applied against the stored base
      });
      const header = parseMessage(DeployHeaderSchema, pack.header, "invalid deploy header");
      return await this.workspace.withDeployLock(this.limits.lockTimeoutMs, (tx) =>
        applyDeployment(this.ctx, tx, txid, pack, header, options),
      );
    } catch (err) {
      throw storageError(err);
    } finally {
      rmSync(txDir, { recursive: true, force: true });
    }
  }

  /**
   * Makes an earlier deployment live again, by id or by checksum (a unique prefix of at least 7 digits);
   * by default the one committed before the live one. Recorded as a deployment of kind "rollback".
   */
  async rollback(target: string | null, deployedBy: string | null): Promise<DeployResult> {
    try {
      return await this.workspace.withDeployLock(this.limits.lockTimeoutMs, (tx) =>
        rollbackDeployment(this.ctx, tx, target, deployedBy),
      );
    } catch (err) {
      throw storageError(err);
    }
  }

  collectGarbage(): Promise<GcReport> {
    return this.ctx.gc.collect();
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

  /** A stored root's manifest (E_MISSING_OBJECTS when its objects were collected). */
  manifestOf(root: string): Promise<ReadonlyMap<string, string>> {
    return this.ctx.manifests.manifestOf(root);
  }

  async readObject(hash: string): Promise<Buffer> {
    const bytes = await this.store.objects.read(hash);
    if (!bytes) throw new CaxtonError("E_NOT_FOUND", `no object ${hash}`);
    return bytes;
  }

  async historyList(limit: number): Promise<HistoryEntry[]> {
    return (await this.workspace.committed(limit)).map(toHistoryEntry);
  }

  /** The live configuration as the read API serves it; null before the first deployment. */
  liveView(): Promise<LiveView | null> {
    return this.ctx.live.get();
  }

  /** The live deployment as the API describes it, with its agent count; null before the first one. */
  async liveDeployment(): Promise<(DeploymentRow & { agents: number }) | null> {
    const live = await this.liveView();
    const row = live ? await this.workspace.get(live.deployment_id) : undefined;
    return live && row ? { ...row, agents: live.agents.length } : null;
  }
}
