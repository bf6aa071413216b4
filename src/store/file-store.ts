/**
 * The file store: the store port (deployment-store.ts) over one data dir (layout in docs/design.md):
 * objects as read-only files, deployments as hard-linked trees, `current` a symlink swapped by rename, the
 * history and transaction log in SQLite. One process writes it; the deploy lock is an in-process queue.
 * It holds one workspace, `default`, laid out at the data dir's top level.
 */
import { mkdirSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { CaxtonError } from "../errors/caxton-error.js";
import { readCurrentId } from "./current-link.js";
import { collectGarbage } from "./collect-garbage.js";
import { dataDir, type DataDir } from "./data-dir.js";
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
} from "./deployment-store.js";
import { realDurability, type DurabilityPort } from "./durable-fs.js";
import { HistoryDb } from "./history-db.js";
import { adoptDurably, ObjectStore } from "./object-store.js";
import { recoverDataDir } from "./recover-data-dir.js";
import { stagedApply, type ApplyContext } from "./staged-apply.js";

/** Opens (creating when needed) and recovers a data dir. */
export function openFileStore(root: string, durability: DurabilityPort = realDurability): FileStore {
  return new FileStore(dataDir(root), durability);
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
  readonly id = DEFAULT_WORKSPACE;
  private readonly lock = new DeployLock();

  constructor(private readonly ctx: ApplyContext) {}

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

  withDeployLock<T>(timeoutMs: number, work: (tx: WorkspaceTransaction) => Promise<T>): Promise<T> {
    return this.lock.run(timeoutMs, () => work(this));
  }

  async commit(input: CommitInput): Promise<CommitResult> {
    let bookkeepingError: unknown;
    const { id, createdAt } = stagedApply(this.ctx, input, (err) => (bookkeepingError = err));
    return bookkeepingError === undefined ? { id, createdAt } : { id, createdAt, bookkeepingError };
  }
}

export class FileStore implements DeploymentStore {
  readonly objects: BlobStore;
  readonly recovery: RecoveryReport;
  readonly tempDir: string;
  private readonly ctx: ApplyContext;
  private readonly defaultWorkspace: FileWorkspace;

  constructor(dir: DataDir, durability: DurabilityPort) {
    mkdirSync(dir.root, { recursive: true });
    const history = new HistoryDb(dir.db);
    this.recovery = recoverDataDir(dir, history);
    this.ctx = { dir, history, objects: new ObjectStore(dir.objects), durability };
    this.objects = new FileBlobStore(this.ctx.objects, () => this.ctx);
    this.tempDir = dir.tmp;
    this.defaultWorkspace = new FileWorkspace(this.ctx);
  }

  workspace(id: WorkspaceId): WorkspaceStore {
    if (id !== DEFAULT_WORKSPACE) {
      throw new CaxtonError("E_NOT_FOUND", `no workspace ${JSON.stringify(id)} on this server`);
    }
    return this.defaultWorkspace;
  }

  async workspaces(): Promise<WorkspaceId[]> {
    return [DEFAULT_WORKSPACE];
  }

  async collectGarbage(policy: RetentionPolicy): Promise<GcReport> {
    return this.defaultWorkspace.withDeployLock(policy.lockTimeoutMs, async () => {
      const report = collectGarbage(this.ctx, policy.keepDeployments, policy.graceMs);
      return {
        ...report,
        prunedDeployments: report.prunedDeployments.map((id) => ({ workspace: DEFAULT_WORKSPACE, id })),
      };
    });
  }

  onHeadChange(): () => void {
    return () => {}; // one writer: the head moves only through this process's own commits
  }

  async close(): Promise<void> {
    this.ctx.history.close();
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
