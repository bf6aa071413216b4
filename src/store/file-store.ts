/**
 * The file store: the store port (deployment-store.ts) over one data dir (layout in docs/design.md):
 * objects as read-only files, deployments as hard-linked trees, `current` a symlink swapped by rename, the
 * history and transaction log in SQLite. One process writes it; the deploy lock is an in-process queue.
 * It holds any number of workspaces: `default` laid out at the data dir's top level, another one `W` under
 * `workspaces/W/`; objects and laid-out trees are shared.
 */
import { existsSync, mkdirSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { CaxtonError } from "../errors/caxton-error.js";
import { ReachableObjects } from "../merkle/reachable-objects.js";
import { readCurrentId } from "./current-link.js";
import { collectGarbage, type FileGcReport } from "./collect-garbage.js";
import { dataDir } from "./data-dir.js";
import { DeployLock } from "./deploy-lock.js";
import {
  DEFAULT_WORKSPACE,
  type BlobStore,
  type CommitInput,
  type CommitResult,
  type DeploymentRow,
  type DeploymentStore,
  type GcReport,
  type RecoveryReport,
  type RetentionPolicy,
  type TxLogEvent,
  type TxLogRow,
  type WorkspaceId,
  type WorkspaceStore,
  type WorkspaceTransaction,
  WORKSPACE_ID_PATTERN,
} from "./deployment-store.js";
import { realDurability, type DurabilityPort } from "./durable-fs.js";
import { HistoryDb } from "./history-db.js";
import { adoptDurably, ObjectStore } from "./object-store.js";
import { recoverDataDir } from "./recover-data-dir.js";
import { stagedApply, type ApplyContext } from "./staged-apply.js";

/** Opens (creating when needed) and recovers a data dir. */
export function openFileStore(root: string, durability: DurabilityPort = realDurability): FileStore {
  return new FileStore(root, durability);
}

class FileBlobStore implements BlobStore {
  constructor(
    private readonly store: ObjectStore,
    private readonly ctx: () => ApplyContext,
  ) {}

  async hasMany(hashes: readonly string[]): Promise<boolean[]> {
    return hashes.map((h) => this.store.has(h));
  }

  async has(hash: string): Promise<boolean> {
    return this.store.has(hash);
  }

  async size(hash: string): Promise<number | undefined> {
    return this.store.has(hash) ? this.store.sizeOf(hash) : undefined;
  }

  async read(hash: string): Promise<Buffer | undefined> {
    return this.store.has(hash) ? this.store.read(hash) : undefined;
  }

  async readMany(hashes: readonly string[]): Promise<Map<string, Buffer>> {
    const found = new Map<string, Buffer>();
    for (const h of hashes) if (this.store.has(h)) found.set(h, this.store.read(h));
    return found;
  }

  async count(): Promise<number> {
    return this.store.size;
  }

  totalBytes(): Promise<number> {
    return sumFileSizes(this.store.dir);
  }

  async adopt(files: ReadonlyMap<string, string>): Promise<void> {
    const { objects, durability, dir } = this.ctx();
    adoptDurably(objects, durability, dir.root, files);
  }
}

class FileWorkspace implements WorkspaceStore, WorkspaceTransaction {
  readonly id: WorkspaceId;
  readonly lock = new DeployLock();

  constructor(
    readonly ctx: ApplyContext,
    /** resolves when no collection is running (collection holds every workspace's lock) */
    private readonly gcIdle: () => Promise<void>,
  ) {
    this.id = ctx.dir.workspace;
  }

  async head(): Promise<DeploymentRow | null> {
    const id = readCurrentId(this.ctx.dir);
    if (id === null) return null;
    const row = this.ctx.history.get(id);
    if (!row) throw new CaxtonError("E_INTERNAL", `current points at deployment ${id}, which history lacks`);
    return row;
  }

  async get(id: number): Promise<DeploymentRow | undefined> {
    return this.ctx.history.get(id);
  }

  async committed(limit: number): Promise<DeploymentRow[]> {
    return this.ctx.history.committed(limit);
  }

  async log(txid: string, deploymentId: number | null, event: TxLogEvent, detail?: unknown): Promise<number> {
    return this.ctx.history.log(txid, deploymentId, event, detail);
  }

  async entriesAfter(event: TxLogEvent, seq: number, limit: number): Promise<TxLogRow[]> {
    return this.ctx.history.entriesAfter(event, seq, limit);
  }

  async lastSeq(): Promise<number> {
    return this.ctx.history.lastSeq();
  }

  async withDeployLock<T>(timeoutMs: number, work: (tx: WorkspaceTransaction) => Promise<T>): Promise<T> {
    await this.gcIdle();
    return this.lock.run(timeoutMs, () => work(this));
  }

  async commit(input: CommitInput): Promise<CommitResult> {
    makeHome(this.ctx);
    let bookkeepingError: unknown;
    const { id, createdAt } = stagedApply(this.ctx, input, (err) => (bookkeepingError = err));
    return bookkeepingError === undefined ? { id, createdAt } : { id, createdAt, bookkeepingError };
  }
}

/** A workspace's folder is made by its first commit; each new directory entry is made durable. */
function makeHome({ dir, durability }: ApplyContext): void {
  if (existsSync(dir.deployments)) return;
  for (const [path, parent] of [
    [dir.workspaces, dir.root],
    [dir.home, dir.workspaces],
    [dir.deployments, dir.home],
  ] as const) {
    if (existsSync(path)) continue;
    mkdirSync(path);
    durability.fsyncDir(parent);
  }
}

export class FileStore implements DeploymentStore {
  readonly objects: BlobStore;
  readonly recovery: RecoveryReport;
  readonly tempDir: string;
  private readonly db: HistoryDb;
  private readonly shared: Omit<ApplyContext, "dir" | "history">;
  private readonly views = new Map<WorkspaceId, FileWorkspace>();
  private gcRun: Promise<unknown> = Promise.resolve();
  /** what the kept deployments reached at the last collection, carried to the next (collect-garbage.ts) */
  private reached: ReachableObjects | undefined;

  constructor(
    private readonly root: string,
    durability: DurabilityPort,
  ) {
    mkdirSync(root, { recursive: true });
    const dir = dataDir(root);
    this.db = new HistoryDb(dir.db);
    const reports = recoverDataDir(root, this.db);
    this.recovery = reports.get(DEFAULT_WORKSPACE) ?? {
      currentId: null,
      committed: [],
      aborted: [],
      removedTemp: [],
    };
    this.shared = { objects: new ObjectStore(dir.objects), durability };
    const defaultView = this.workspace(DEFAULT_WORKSPACE) as FileWorkspace;
    this.objects = new FileBlobStore(this.shared.objects, () => defaultView.ctx);
    this.tempDir = dir.tmp;
  }

  workspace(id: WorkspaceId): WorkspaceStore {
    const known = this.views.get(id);
    if (known) return known;
    if (!WORKSPACE_ID_PATTERN.test(id)) {
      throw new CaxtonError("E_WORKSPACE_NAME", `${JSON.stringify(id)} is not a workspace name`);
    }
    const ctx = { ...this.shared, dir: dataDir(this.root, id), history: this.db.forWorkspace(id) };
    const view = new FileWorkspace(ctx, async () => {
      await this.gcRun;
    });
    this.views.set(id, view);
    return view;
  }

  async workspaces(): Promise<WorkspaceId[]> {
    return [...new Set([DEFAULT_WORKSPACE, ...this.db.workspaces()])].sort();
  }

  /** Holds every workspace's deploy lock (a workspace first seen meanwhile waits for the run to end). */
  async collectGarbage(policy: RetentionPolicy): Promise<GcReport> {
    const run = this.gcRun.then(async () => {
      for (const name of await this.workspaces()) this.workspace(name);
      const views = [...this.views.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
      const underLocks = (i: number): Promise<GcReport> => {
        const view = views[i];
        if (!view) return Promise.resolve(this.collectNow(views, policy));
        return view.lock.run(policy.lockTimeoutMs, () => underLocks(i + 1));
      };
      return underLocks(0);
    });
    this.gcRun = run.catch(() => {});
    return run;
  }

  private collectNow(views: readonly FileWorkspace[], policy: RetentionPolicy): GcReport {
    const ordered = [...views].sort((a, b) =>
      a.id === DEFAULT_WORKSPACE ? -1 : b.id === DEFAULT_WORKSPACE ? 1 : 0,
    );
    const { objects } = this.shared;
    this.reached ??= new ReachableObjects((hash) => (objects.has(hash) ? objects.read(hash) : undefined));
    let report: FileGcReport;
    try {
      report = collectGarbage(
        ordered.map((v) => v.ctx),
        policy.keepDeployments,
        policy.graceMs,
        this.reached,
      );
    } catch (err) {
      this.reached = undefined; // it may be half updated: the next run marks from scratch
      throw err;
    }
    return {
      removedObjects: report.removedObjects,
      keptObjects: report.keptObjects,
      prunedDeployments: [...report.prunedDeployments].flatMap(([workspace, ids]) =>
        ids.map((id) => ({ workspace, id })),
      ),
    };
  }

  onHeadChange(): () => void {
    return () => {}; // one writer: the head moves only through this process's own commits
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

/** The objects' bytes: a walk of the fan-out folders, off the event loop's critical path (fs/promises). */
async function sumFileSizes(dir: string): Promise<number> {
  let total = 0;
  for (const prefix of await readdir(dir).catch(() => [] as string[])) {
    const sub = join(dir, prefix);
    const names = await readdir(sub).catch(() => [] as string[]);
    for (const name of names) total += (await stat(join(sub, name)).catch(() => ({ size: 0 }))).size;
  }
  return total;
}
