/**
 * The store port (deployment-store.ts) on PostgreSQL, for several `caxton serve` replicas sharing one
 * deployment state. The database holds the objects, deployments, heads, transaction log and locks; each
 * replica's data dir holds only its materialized `current` and an object cache (local-replica.ts). A replica
 * follows the head (head-follower.ts) and materializes every new head with the same atomic swap; at start it
 * migrates the schema and catches up. This replica materializes every workspace: each has its own local
 * `current` (local-replica.ts), head follower and deploy lock; NOTIFY's payload names the workspace whose
 * head moved, so a replica also learns of a workspace another replica created.
 */
import { randomUUID } from "node:crypto";
import { statSync } from "node:fs";
import type pg from "pg";
import { CaxtonError } from "../../errors/caxton-error.js";
import { flattenTree, gatherTrees } from "../../merkle/walk-tree.js";
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
  WORKSPACE_ID_PATTERN,
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

/** Trees deeper than this were refused when they were deployed; the walk stops there too. */
const MAX_DEPTH = 256;

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

  async size(hash: string): Promise<number | undefined> {
    // delta bases are usually the live deployment's objects, which this replica holds
    if (this.local.objects.has(hash)) return statSync(this.local.objects.pathOf(hash)).size;
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
    await pool.query("INSERT INTO replica_set (server_id) VALUES ($1) ON CONFLICT DO NOTHING", [
      randomUUID(),
    ]);
    const { rows } = await pool.query<{ server_id: string }>("SELECT server_id FROM replica_set");
    const store = new PgStore(pool, options, rows[0]?.server_id ?? randomUUID());
    await store.start();
    return store;
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }
}

/** What this replica keeps per workspace. */
interface Followed {
  store: PgWorkspace;
  local: LocalReplica;
  follower: HeadFollower;
}

export class PgStore implements DeploymentStore {
  readonly objects: BlobStore;
  readonly tempDir: string;
  readonly recovery: RecoveryReport;
  /** the `default` workspace's local copy (its object cache is every workspace's) */
  readonly local: LocalReplica;
  private readonly shared: PgBlobStore;
  private readonly swaps = new DeployLock();
  private readonly listeners = new Set<(change: HeadChange) => void>();
  private readonly followed = new Map<WorkspaceId, Followed>();
  private readonly durability: DurabilityPort;
  private readonly log: (line: string) => void;
  private started = false;
  private stopped = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: PgStoreOptions,
    /** the replica set's identity, the same on every replica (reported as the server id) */
    readonly serverId: string,
  ) {
    this.durability = options.durability ?? realDurability;
    this.log = options.log ?? (() => {});
    this.local = new LocalReplica(options.dataDir, this.durability, {
      workspace: DEFAULT_WORKSPACE,
      otherRoots: () => this.rootsBesides(DEFAULT_WORKSPACE),
    });
    this.shared = new PgBlobStore(pool);
    this.objects = new ReplicaObjects(this.shared, this.local);
    this.tempDir = this.local.dir.tmp;
    this.recovery = {
      currentId: this.local.currentId(),
      committed: [],
      aborted: [],
      removedTemp: this.local.removedLeftovers,
    };
    this.add(DEFAULT_WORKSPACE, this.local);
  }

  /** Catches up with the database's heads, then follows them. */
  async start(): Promise<void> {
    for (const name of await this.workspaces()) this.workspace(name);
    await Promise.all([...this.followed.values()].map((f) => f.follower.start()));
    this.started = true;
  }

  workspace(id: WorkspaceId): WorkspaceStore {
    const known = this.followed.get(id);
    if (known) return known.store;
    if (!WORKSPACE_ID_PATTERN.test(id)) {
      throw new CaxtonError("E_WORKSPACE_NAME", `${JSON.stringify(id)} is not a workspace name`);
    }
    const local = new LocalReplica(this.options.dataDir, this.durability, {
      workspace: id,
      objects: this.local.objects,
      otherRoots: () => this.rootsBesides(id),
    });
    const followed = this.add(id, local);
    // before start(), start() starts it; after close(), nothing does
    if (this.started && !this.stopped) void followed.follower.start();
    return followed.store;
  }

  async workspaces(): Promise<WorkspaceId[]> {
    const { rows } = await guard(() => this.pool.query<{ workspace: string }>("SELECT workspace FROM heads"));
    return [...new Set([DEFAULT_WORKSPACE, ...rows.map((r) => r.workspace)])].sort();
  }

  async collectGarbage(policy: RetentionPolicy): Promise<GcReport> {
    const report = await guard(() =>
      collectGarbageInDatabase(
        this.pool,
        policy,
        (hashes, db) => this.treesOf(hashes, db),
        (name) => this.durability.step(name),
      ),
    );
    this.local.forget(report.removed);
    for (const [name, { local }] of this.followed) {
      local.dropTrees(report.prunedDeployments.filter((d) => d.workspace === name).map((d) => d.id));
    }
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

  /** Re-reads the heads now (a notification's work, for callers that know a head moved). */
  async refresh(): Promise<void> {
    await Promise.all([...this.followed.values()].map((f) => f.follower.check()));
  }

  async close(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.followed.values()].map((f) => f.follower.stop()));
    await this.pool.end();
  }

  private add(id: WorkspaceId, local: LocalReplica): Followed {
    const side: LocalSide = {
      exclusive: (work) => this.swaps.run(2 ** 31 - 1, work),
      prepare: (deploymentId, input, db) => this.prepareLocal(local, deploymentId, input, db),
      step: (name) => this.durability.step(name),
    };
    const follower = new HeadFollower({
      url: this.options.url,
      db: this.pool,
      workspace: id,
      pollMs: this.options.pollMs ?? 2_000,
      onHead: (head) => this.follow(id, local, head),
      log: this.log,
      // the default workspace's follower hears of workspaces first deployed on another replica
      ...(id === DEFAULT_WORKSPACE ? { onOtherWorkspace: (name: string) => this.discover(name) } : {}),
    });
    const followed = { store: new PgWorkspace(id, this.pool, side), local, follower };
    this.followed.set(id, followed);
    return followed;
  }

  private discover(name: string): void {
    if (!this.followed.has(name) && WORKSPACE_ID_PATTERN.test(name)) this.workspace(name);
  }

  /** The roots the other workspaces keep laid out on this replica (a tree sweep keeps them). */
  private rootsBesides(id: WorkspaceId): string[] {
    return [...this.followed].filter(([name]) => name !== id).flatMap(([, f]) => f.local.liveRoots());
  }

  /** Fills the cache with a deployment's objects and stages its tree; the caller commits, then swaps. */
  private async prepareLocal(
    local: LocalReplica,
    id: number,
    input: CommitInput,
    db: Queryable,
  ): Promise<{ goLive(): void; discard(): void }> {
    // the new objects are in the database's transaction already; the cache takes the files
    local.adopt(input.newObjects);
    await local.fill(input.manifest.values(), new PgBlobStore(db));
    const { discard } = local.stage(id, input.root, input.manifest);
    return { goLive: () => local.goLive(id, input.root), discard };
  }

  /** A head seen in the database: materialize it here unless it is live already (or older). */
  private follow(workspace: WorkspaceId, local: LocalReplica, head: Head | null): Promise<void> {
    if (!head) return Promise.resolve();
    return this.swaps.run(2 ** 31 - 1, async () => {
      const localId = local.currentId();
      if (localId !== null && localId >= head.deploymentId) return;
      const trees = await this.treesOf([head.root], this.pool);
      const manifest = flattenTree(head.root, (h) => trees.get(h));
      await local.fill(manifest.values(), this.shared);
      local.stage(
        head.deploymentId,
        head.root,
        manifest,
        new Map([...trees].map(([h, b]) => [h, Buffer.from(b.buffer, b.byteOffset, b.byteLength)])),
      );
      local.goLive(head.deploymentId, head.root);
      const of = workspace === DEFAULT_WORKSPACE ? "" : ` of workspace ${workspace}`;
      this.log(`following: deployment ${head.deploymentId}${of} is live here`);
      for (const listener of this.listeners) listener({ workspace, deploymentId: head.deploymentId });
    });
  }

  /**
   * Every tree object below the given roots, read level by level with the one tree walker's reader (the
   * cache first, then the database; subtrees shared between roots are read once).
   */
  private async treesOf(roots: readonly string[], db: Queryable): Promise<Map<string, Uint8Array>> {
    const trees = new Map<string, Uint8Array>();
    const shared = new PgBlobStore(db);
    const read = async (hashes: string[]): Promise<Map<string, Uint8Array>> => {
      const found = new Map<string, Uint8Array>();
      const fromDb: string[] = [];
      for (const h of hashes) {
        const known = trees.get(h);
        if (known) found.set(h, known);
        else if (this.local.objects.has(h)) found.set(h, this.local.objects.read(h));
        else fromDb.push(h);
      }
      if (fromDb.length > 0) for (const [h, b] of await shared.readMany(fromDb)) found.set(h, b);
      return found;
    };
    for (const root of new Set(roots)) {
      for (const [h, b] of (await gatherTrees(root, read, MAX_DEPTH)).trees) trees.set(h, b);
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
