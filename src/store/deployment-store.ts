/**
 * The store port: everything the deploy logic (server/) needs from storage, and nothing of how it is stored.
 * The file store (store/file-store.ts: a data dir of files plus SQLite) implements it; a database store
 * (PostgreSQL, replicas following one head) implements the same interface. Every method is asynchronous
 * so that a networked implementation fits; the file store answers at once.
 *
 * Shapes:
 * - Objects (blobs and tree objects, content-addressed by SHA-256) are shared by every workspace and live
 *   behind their own port, `BlobStore`, so that where the bytes sit (files, database rows, an S3 bucket) is
 *   one implementation's choice.
 * - A workspace (`WorkspaceId`; `default` is the one un-prefixed API paths name) owns its deployments, its
 *   head (the live deployment), its transaction log and its retention. `DeploymentStore.workspace(id)` hands
 *   out one workspace's view; everything but objects and garbage collection goes through it. A workspace
 *   exists from its first commit: before it, its view reads as empty (no head, no history).
 * - Writes that decide what is live run inside `WorkspaceStore.withDeployLock`, which serialises them per
 *   workspace (the file store: an in-process queue; a database: an advisory lock held by the transaction).
 *   `commit` is the one call that makes a deployment live; it is all-or-nothing, and after a crash at any
 *   point the head is either the old deployment or the new one (docs/design.md, "Commit protocol").
 *
 * Semantics every implementation keeps are in store/README.md.
 */
import { DEFAULT_WORKSPACE_NAME, WORKSPACE_NAME_PATTERN } from "../protocol/workspace-name.js";

/** Workspace names on the wire and in storage (`default` is the workspace of the un-prefixed API). */
export type WorkspaceId = string;
export const DEFAULT_WORKSPACE: WorkspaceId = DEFAULT_WORKSPACE_NAME;
export const WORKSPACE_ID_PATTERN = WORKSPACE_NAME_PATTERN;

export const DEPLOYMENT_STATUSES = ["prepared", "committed", "aborted", "pruned"] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

export const DEPLOYMENT_KINDS = ["deploy", "rollback"] as const;
export type DeploymentKind = (typeof DEPLOYMENT_KINDS)[number];

/** One deployment as recorded; `id` increases within a workspace, `root` is its tree's checksum. */
export interface DeploymentRow {
  id: number;
  root: string;
  parent_id: number | null;
  kind: DeploymentKind;
  status: DeploymentStatus;
  /** ISO 8601, UTC */
  created_at: string;
  added: number;
  modified: number;
  deleted: number;
  deployed_by: string | null;
  /** JSON text: `message`, `git`, `rollback_of` (see server/history-entry.ts) */
  meta: string | null;
}

/**
 * The transaction log's entry kinds: the log is append-only evidence of every transaction (docs/design.md,
 * "Transaction log"). `event` entries are the deployment events the SSE stream replays.
 */
export const TXLOG_EVENTS = [
  "begin",
  "missing-objects",
  "rejected",
  "conflict",
  "dry-run",
  "prepared",
  "committed",
  "aborted",
  "begin-rollback",
  "pruned",
  "gc",
  "event",
  "recovered-committed",
  "recovered-aborted",
  "removed-leftovers",
] as const;
export type TxLogEvent = (typeof TXLOG_EVENTS)[number];

export interface TxLogRow {
  /** increases within a workspace's log; the SSE event id */
  seq: number;
  time: string;
  txid: string;
  deployment_id: number | null;
  event: TxLogEvent;
  /** JSON text */
  detail: string | null;
}

/**
 * Content-addressed objects. `hash` is the SHA-256 (64 lowercase hex digits) of the bytes; the caller has
 * verified that before `adopt`. An object once adopted is never changed; it is removed only by garbage
 * collection, and never while a retained deployment of any workspace reaches it.
 */
export interface BlobStore {
  /** One answer per hash, in order (negotiation asks about every object of a workspace at once). */
  hasMany(hashes: readonly string[]): Promise<boolean[]>;
  has(hash: string): Promise<boolean>;
  /** The object's size in bytes, or undefined when it is not held. */
  size(hash: string): Promise<number | undefined>;
  /** The object's bytes, or undefined when it is not held. */
  read(hash: string): Promise<Buffer | undefined>;
  /** Several objects at once (tree objects level by level); absent hashes are absent from the map. */
  readMany(hashes: readonly string[]): Promise<Map<string, Buffer>>;
  /**
   * Stores verified objects that wait as files in a transaction's temp dir (hash → file), durably: when it
   * resolves, a crash cannot lose or tear them. Idempotent; the files may be moved or consumed.
   */
  adopt(files: ReadonlyMap<string, string>): Promise<void>;
  /** How many objects are held (metrics; cheap). */
  count(): Promise<number>;
  /** The held objects' bytes (metrics; may cost a scan of the store, so callers cache it). */
  totalBytes(): Promise<number>;
}

/** What `commit` records and makes live. */
export interface CommitInput {
  /** the transaction id (also the txlog's `txid`) */
  txid: string;
  root: string;
  /** path → blob hash: the deployment's files */
  manifest: ReadonlyMap<string, string>;
  /** verified objects of this deployment waiting in the transaction's temp dir: hash → file */
  newObjects: ReadonlyMap<string, string>;
  parentId: number | null;
  kind: DeploymentKind;
  counts: { added: number; modified: number; deleted: number };
  deployedBy: string | null;
  meta: Record<string, unknown> | null;
}

export interface CommitResult {
  id: number;
  createdAt: string;
  /**
   * Set when the deployment is live but recording it as committed failed (a full disk under the database,
   * say); start-up recovery completes the record. The deploy succeeded.
   */
  bookkeepingError?: unknown;
}

/** The deploy-lock-holding view of a workspace: reads see every earlier commit; `commit` decides the head. */
export interface WorkspaceTransaction {
  head(): Promise<DeploymentRow | null>;
  /** committed deployments, newest first */
  committed(limit: number): Promise<DeploymentRow[]>;
  get(id: number): Promise<DeploymentRow | undefined>;
  log(txid: string, deploymentId: number | null, event: TxLogEvent, detail?: unknown): Promise<number>;
  /**
   * Makes a deployment live, all or nothing: adopts `newObjects`, records the deployment, lays its tree out
   * where the live configuration is read, moves the head. Throws with nothing applied, or resolves with the
   * deployment live (see `CommitResult.bookkeepingError`).
   */
  commit(input: CommitInput): Promise<CommitResult>;
}

/** One workspace: reads without the lock, and `withDeployLock` for everything that may change the head. */
export interface WorkspaceStore {
  readonly id: WorkspaceId;
  /** the live deployment, or null before the first one */
  head(): Promise<DeploymentRow | null>;
  get(id: number): Promise<DeploymentRow | undefined>;
  /** committed deployments, newest first */
  committed(limit: number): Promise<DeploymentRow[]>;
  /** Appends to the transaction log; resolves with the entry's sequence number. */
  log(txid: string, deploymentId: number | null, event: TxLogEvent, detail?: unknown): Promise<number>;
  /** Log entries of one kind after a sequence number, oldest first (resuming event streams). */
  entriesAfter(event: TxLogEvent, seq: number, limit: number): Promise<TxLogRow[]>;
  /** The log's newest sequence number, 0 when it is empty (where a reader that follows the log starts). */
  lastSeq(): Promise<number>;
  /**
   * Runs `work` holding this workspace's deploy lock; one holder at a time, waiters in arrival order.
   * Rejects with E_BUSY when the lock is not had within `timeoutMs` (work then never runs).
   */
  withDeployLock<T>(timeoutMs: number, work: (tx: WorkspaceTransaction) => Promise<T>): Promise<T>;
}

export interface RetentionPolicy {
  /** committed deployments kept per workspace (the live one always is) */
  keepDeployments: number;
  /** unreferenced objects younger than this survive (a client re-sending after "missing" is not undercut) */
  graceMs: number;
  /** how long collection waits for a workspace's deploy lock before giving up (E_BUSY) */
  lockTimeoutMs: number;
}

export interface GcReport {
  prunedDeployments: { workspace: WorkspaceId; id: number }[];
  removedObjects: number;
  keptObjects: number;
}

/** What start-up recovery reconciled, per workspace (see docs/design.md, "Recovery"). */
export interface RecoveryReport {
  currentId: number | null;
  committed: number[];
  aborted: number[];
  removedTemp: string[];
}

/** A head that moved by a commit this process did not make (another replica's deploy). */
export interface HeadChange {
  workspace: WorkspaceId;
  deploymentId: number;
}

export interface DeploymentStore {
  /** the objects of every workspace */
  readonly objects: BlobStore;
  /** where a transaction may keep its temp files (the pack being received); removed by recovery */
  readonly tempDir: string;
  /** what start-up recovery did to the `default` workspace */
  readonly recovery: RecoveryReport;
  /**
   * One workspace's view, for any valid name (E_WORKSPACE_NAME otherwise); one that does not exist yet
   * reads as empty and comes to exist with its first commit.
   */
  workspace(id: WorkspaceId): WorkspaceStore;
  /** the workspaces that exist (`default` always, every other one from its first commit), sorted */
  workspaces(): Promise<WorkspaceId[]>;
  /**
   * Retention, then collection: in every workspace marks committed deployments beyond the newest
   * `keepDeployments` (never the head) `pruned`, then removes objects no retained deployment of any
   * workspace reaches and older than `graceMs`. Takes each workspace's deploy lock while it runs.
   */
  collectGarbage(policy: RetentionPolicy): Promise<GcReport>;
  /**
   * Calls `listener` when a workspace's head moves by a commit made elsewhere (another replica). A store
   * with a single writer never calls it. Returns the unsubscribe function.
   */
  onHeadChange(listener: (change: HeadChange) => void): () => void;
  close(): Promise<void>;
}
