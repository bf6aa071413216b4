/**
 * The store port (deployment-store.ts) on PostgreSQL, for several `caxton serve` replicas sharing one
 * deployment state. The database holds the objects, deployments, heads, transaction log and locks; each
 * replica's data dir holds only its materialized `current` and an object cache (local-replica.ts). A replica
 * follows the head (head-follower.ts) and materializes every new head with the same atomic swap; at start it
 * migrates the schema and catches up. This replica materializes the `default` workspace.
 */
import type pg from "pg";
import { CaxtonError } from "../../errors/caxton-error.js";
import { flattenTree } from "../../merkle/walk-tree.js";
import { decodeTree } from "../../merkle/tree-object.js";
import {
  DEFAULT_WORKSPACE,
  type BlobStore,
  type CommitInput,
  type DeploymentStore,
  type GcReport,
  type HeadChange,
  type RecoveryReport,
  type RetentionPolicy,
  type WorkspaceId,
  type WorkspaceStore,
} from "../deployment-store.js";
import { realDurability, type DurabilityPort } from "../durable-fs.js";
import { DeployLock } from "../deploy-lock.js";
import { databaseError, openPool, type Queryable } from "./database.js";
import { HeadFollower, type Head } from "./head-follower.js";
import { LocalReplica } from "./local-replica.js";
import { migrate } from "./migrations.js";
import { PgBlobStore } from "./pg-blob-store.js";
import { collectGarbageInDatabase } from "./pg-gc.js";
import { PgWorkspace, type LocalSide } from "./pg-workspace.js";

export interface PgStoreOptions {
  url: string;
  dataDir: string;
  durability?: DurabilityPort;
  /** how often the head is re-read when no notification came (default 2 s) */
  pollMs?: number;
  poolSize?: number;
  log?: (line: string) => void;
}

/** Objects: the database is the store; the replica's cache answers reads of what it already has. */
class ReplicaObjects implements BlobStore {
  constructor(
    private readonly shared: PgBlobStore,
    private readonly local: LocalReplica,
  ) {}

  hasMany(hashes: readonly string[]): Promise<boolean[]> {
    return guard(() => this.shared.hasMany(hashes));
  }

  has(hash: string): Promise<boolean> {
    return guard(() => this.shared.has(hash));
  }

  size(hash: string): Promise<number | undefined> {
    return guard(() => this.shared.size(hash));
  }

  count(): Promise<number> {
    return guard(() => this.shared.count());
  }

  totalBytes(): Promise<number> {
    return guard(() => this.shared.totalBytes());
  }

  async read(hash: string): Promise<Buffer | undefined> {
    return (await this.readMany([hash])).get(hash);
  }

  async readMany(hashes: readonly string[]): Promise<Map<string, Buffer>> {
    const found = new Map<string, Buffer>();
    const rest: string[] = [];
    for (const h of hashes) {
      if (this.local.objects.has(h)) found.set(h, this.local.objects.read(h));
      else rest.push(h);
    }
    if (rest.length > 0) for (const [h, b] of await guard(() => this.shared.readMany(rest))) found.set(h, b);
    return found;
  }

  async adopt(files: ReadonlyMap<string, string>): Promise<void> {
    await guard(() => this.shared.put(files));
    this.local.adopt(files);
  }
}

export async function openPgStore(options: PgStoreOptions): Promise<PgStore> {
  const pool = openPool({ url: options.url, ...(options.poolSize ? { max: options.poolSize } : {}) });
  try {
    await migrate(pool);
    const store = new PgStore(pool, options);
    await store.start();
    return store;
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }
}

export class PgStore implements DeploymentStore {
  readonly objects: BlobStore;
  readonly tempDir: string;
  readonly recovery: RecoveryReport;
  readonly local: LocalReplica;
  private readonly shared: PgBlobStore;
  private readonly swaps = new DeployLock();
  private readonly listeners = new Set<(change: HeadChange) => void>();
  private readonly follower: HeadFollower;
  private readonly defaultWorkspace: PgWorkspace;
  private readonly durability: DurabilityPort;
  private readonly log: (line: string) => void;

  constructor(
    private readonly pool: pg.Pool,
    options: PgStoreOptions,
  ) {
    this.durability = options.durability ?? realDurability;
    this.log = options.log ?? (() => {});
    this.local = new LocalReplica(options.dataDir, this.durability);
    this.shared = new PgBlobStore(pool);
    this.objects = new ReplicaObjects(this.shared, this.local);
    this.tempDir = this.local.dir.tmp;
    this.recovery = {
      currentId: this.local.currentId(),
      committed: [],
      aborted: [],
      removedTemp: this.local.removedLeftovers,
    };
    const side: LocalSide = {
      exclusive: (work) => this.swaps.run(2 ** 31 - 1, work),
      prepare: (id, input, db) => this.prepareLocal(id, input, db),
      step: (name) => this.durability.step(name),
    };
    this.defaultWorkspace = new PgWorkspace(DEFAULT_WORKSPACE, pool, side);
    this.follower = new HeadFollower({
      url: options.url,
      db: pool,
      workspace: DEFAULT_WORKSPACE,
      pollMs: options.pollMs ?? 2_000,
      onHead: (head) => this.follow(head),
      log: this.log,
    });
  }

  /** Catches up with the database's head, then follows it. */
  async start(): Promise<void> {
    await this.follower.start();
  }

  workspace(id: WorkspaceId): WorkspaceStore {
    if (id !== DEFAULT_WORKSPACE) {
      throw new CaxtonError("E_NOT_FOUND", `no workspace ${JSON.stringify(id)} on this server`);
    }
    return this.defaultWorkspace;
  }

  async workspaces(): Promise<WorkspaceId[]> {
    const { rows } = await guard(() => this.pool.query<{ workspace: string }>("SELECT workspace FROM heads"));
    return [...new Set([DEFAULT_WORKSPACE, ...rows.map((r) => r.workspace)])].sort();
  }

  async collectGarbage(policy: RetentionPolicy): Promise<GcReport> {
    const report = await guard(() =>
      collectGarbageInDatabase(this.pool, policy, (hashes, db) => this.treesOf(hashes, db)),
    );
    this.local.forget(report.removed);
    return {
      prunedDeployments: report.prunedDeployments,
      removedObjects: report.removed.length,
      keptObjects: report.keptObjects,
    };
  }

  onHeadChange(listener: (change: HeadChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Re-reads the head now (a notification's work, for callers that know the head moved). */
  refresh(): Promise<void> {
    return this.follower.check();
  }

  async close(): Promise<void> {
    await this.follower.stop();
    await this.pool.end();
  }

  /** Fills the cache with a deployment's objects and stages its tree; the caller commits, then swaps. */
  private async prepareLocal(
    id: number,
    input: CommitInput,
    db: Queryable,
  ): Promise<{ goLive(): void; discard(): void }> {
    // the new objects are in the database's transaction already; the cache takes the files
    this.local.adopt(input.newObjects);
    await this.local.fill(input.manifest.values(), new PgBlobStore(db));
    const { staged, discard } = this.local.stage(id, input.manifest);
    return { goLive: () => this.local.goLive(id, staged), discard };
  }

  /** A head seen in the database: materialize it here unless it is live already (or older). */
  private follow(head: Head | null): Promise<void> {
    if (!head) return Promise.resolve();
    return this.swaps.run(2 ** 31 - 1, async () => {
      const localId = this.local.currentId();
      if (localId !== null && localId >= head.deploymentId) return;
      const trees = await this.treesOf([head.root], this.pool);
      const manifest = flattenTree(head.root, (h) => trees.get(h));
      await this.local.fill(manifest.values(), this.shared);
      const { staged } = this.local.stage(head.deploymentId, manifest);
      this.local.goLive(head.deploymentId, staged);
      this.log(`following: deployment ${head.deploymentId} is live here`);
      for (const listener of this.listeners)
        listener({ workspace: DEFAULT_WORKSPACE, deploymentId: head.deploymentId });
    });
  }

  /** Every tree object below the given roots, read level by level (the cache first, then the database). */
  private async treesOf(roots: readonly string[], db: Queryable): Promise<Map<string, Buffer>> {
    const trees = new Map<string, Buffer>();
    const shared = new PgBlobStore(db);
    let frontier = [...new Set(roots)];
    while (frontier.length > 0) {
      const fromDb: string[] = [];
      for (const h of frontier) {
        if (this.local.objects.has(h)) trees.set(h, this.local.objects.read(h));
        else fromDb.push(h);
      }
      if (fromDb.length > 0) for (const [h, b] of await shared.readMany(fromDb)) trees.set(h, b);
      const next = new Set<string>();
      for (const h of frontier) {
        const bytes = trees.get(h);
        if (!bytes) continue; // a missing tree: flattenTree names it
        for (const e of decodeTree(bytes)) if (e.kind === "tree" && !trees.has(e.hash)) next.add(e.hash);
      }
      frontier = [...next];
    }
    return trees;
  }
}

async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw databaseError(err);
  }
}
