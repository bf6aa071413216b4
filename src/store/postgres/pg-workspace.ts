/**
 * One workspace of the PostgreSQL store: its deployments, head and transaction log, and its deploy lock.
 * The lock is a session-level advisory lock on a dedicated connection (shared with a lock that garbage
 * collection takes exclusively), held from the base check to the last log entry, so every replica's
 * deploys of a workspace are serialised and the log's order is the commit order. The commit itself is one
 * transaction that also takes `pg_advisory_xact_lock`: objects, the deployment row, the log entries, the
 * head and the notification commit together or not at all. A replica that dies drops its connection, and
 * PostgreSQL releases the locks with it; an uncommitted transaction leaves nothing behind.
 */
import type pg from "pg";
import { CaxtonError } from "../../errors/caxton-error.js";
import type {
  CommitInput,
  CommitResult,
  DeploymentRow,
  TxLogEvent,
  TxLogRow,
  WorkspaceId,
  WorkspaceStore,
  WorkspaceTransaction,
} from "../deployment-store.js";
import type { DurabilityStep } from "../durable-fs.js";
import { connectAndRun, databaseError, LOCK_GC, LOCK_NAMESPACE, type Queryable } from "./database.js";
import { HEAD_CHANNEL } from "./head-follower.js";
import { PgBlobStore } from "./pg-blob-store.js";

/** What a commit needs from the replica: its local copy, filled and staged before the database commits. */
export interface LocalSide {
  /** serialises local swaps (own commits and followed heads) */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  prepare(id: number, input: CommitInput, db: Queryable): Promise<{ goLive(): void; discard(): void }>;
  step(name: DurabilityStep): void;
}

/**
 * The named steps a deployment's commit passes through on this store, in order (for fault injection): up to
 * `synced` inside the database transaction, `committed` right after it, then the local swap.
 */
export const PG_COMMIT_STEPS = [
  "begin",
  "objects-adopted",
  "prepared",
  "tree-staged",
  "synced",
  "committed",
  "swap-current",
  "swapped",
] as const satisfies readonly DurabilityStep[];

/** Garbage collection's steps on this store: all but gc-done inside one transaction. */
export const PG_GC_STEPS = [
  "gc-begin",
  "gc-rows-pruned",
  "gc-first-object-removed",
  "gc-done",
] as const satisfies readonly DurabilityStep[];

const ROW = `id::int, root, parent_id::int, kind, status, created_at, added, modified, deleted, deployed_by, meta`;

async function head(db: Queryable, ws: WorkspaceId): Promise<DeploymentRow | null> {
  const { rows } = await db.query<DeploymentRow>(
    `SELECT ${ROW.split(", ")
      .map((c) => `d.${c}`)
      .join(", ")} FROM heads h JOIN deployments d ON d.id = h.deployment_id WHERE h.workspace = $1`,
    [ws],
  );
  return rows[0] ?? null;
}

async function get(db: Queryable, ws: WorkspaceId, id: number): Promise<DeploymentRow | undefined> {
  if (!Number.isSafeInteger(id)) return undefined;
  const { rows } = await db.query<DeploymentRow>(
    `SELECT ${ROW} FROM deployments WHERE workspace = $1 AND id = $2`,
    [ws, id],
  );
  return rows[0];
}

async function committed(db: Queryable, ws: WorkspaceId, limit: number): Promise<DeploymentRow[]> {
  const { rows } = await db.query<DeploymentRow>(
    `SELECT ${ROW} FROM deployments WHERE workspace = $1 AND status = 'committed' ORDER BY id DESC LIMIT $2`,
    [ws, Math.min(limit, Number.MAX_SAFE_INTEGER)],
  );
  return rows;
}

async function log(
  db: Queryable,
  ws: WorkspaceId,
  txid: string,
  deploymentId: number | null,
  event: TxLogEvent,
  detail?: unknown,
): Promise<number> {
  const { rows } = await db.query<{ seq: string }>(
    `INSERT INTO txlog (workspace, time, txid, deployment_id, event, detail) VALUES ($1, $2, $3, $4, $5, $6)
     RETURNING seq`,
    [
      ws,
      new Date().toISOString(),
      txid,
      deploymentId,
      event,
      detail === undefined ? null : JSON.stringify(detail),
    ],
  );
  return Number(rows[0]?.seq);
}

/** The deploy lock's second key for a workspace: a stable 31-bit hash of its name. */
export function workspaceLockKey(ws: WorkspaceId): number {
  let h = 0x811c9dc5;
  for (const c of Buffer.from(`deploy:${ws}`)) h = Math.imul(h ^ c, 0x01000193) >>> 0;
  return (h & 0x7fffffff) | 0x10; // never one of the fixed keys (migrations, gc)
}

export class PgWorkspace implements WorkspaceStore {
  constructor(
    readonly id: WorkspaceId,
    private readonly pool: pg.Pool,
    private readonly local: LocalSide,
  ) {}

  head(): Promise<DeploymentRow | null> {
    return guard(() => head(this.pool, this.id));
  }

  get(id: number): Promise<DeploymentRow | undefined> {
    return guard(() => get(this.pool, this.id, id));
  }

  committed(limit: number): Promise<DeploymentRow[]> {
    return guard(() => committed(this.pool, this.id, limit));
  }

  log(txid: string, deploymentId: number | null, event: TxLogEvent, detail?: unknown): Promise<number> {
    return guard(() => log(this.pool, this.id, txid, deploymentId, event, detail));
  }

  entriesAfter(event: TxLogEvent, seq: number, limit: number): Promise<TxLogRow[]> {
    return guard(async () => {
      const { rows } = await this.pool.query<TxLogRow>(
        `SELECT seq::int, time, txid, deployment_id::int, event, detail FROM txlog
         WHERE workspace = $1 AND event = $2 AND seq > $3 ORDER BY seq LIMIT $4`,
        [this.id, event, seq, limit],
      );
      return rows;
    });
  }

  lastSeq(): Promise<number> {
    return guard(async () => {
      const { rows } = await this.pool.query<{ seq: string }>(
        "SELECT coalesce(max(seq), 0) AS seq FROM txlog WHERE workspace = $1",
        [this.id],
      );
      return Number(rows[0]?.seq ?? 0);
    });
  }

  async withDeployLock<T>(timeoutMs: number, work: (tx: WorkspaceTransaction) => Promise<T>): Promise<T> {
    const client = await connectAndRun(this.pool, `SET lock_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
    let healthy = false;
    try {
      await client.query("SELECT pg_advisory_lock_shared($1, $2)", [LOCK_NAMESPACE, LOCK_GC]);
      await client.query("SELECT pg_advisory_lock($1, $2)", [LOCK_NAMESPACE, workspaceLockKey(this.id)]);
      const result = await work(new PgTransaction(this.id, client, this.local));
      healthy = true;
      return result;
    } catch (err) {
      throw databaseError(err);
    } finally {
      // a connection that failed mid-way is closed (PostgreSQL then drops its locks); a healthy one unlocks
      if (healthy) {
        try {
          await client.query("SELECT pg_advisory_unlock_all()");
          await client.query("RESET lock_timeout");
        } catch {
          healthy = false;
        }
      }
      client.release(!healthy);
    }
  }
}

class PgTransaction implements WorkspaceTransaction {
  constructor(
    private readonly ws: WorkspaceId,
    private readonly client: pg.PoolClient,
    private readonly local: LocalSide,
  ) {}

  head(): Promise<DeploymentRow | null> {
    return head(this.client, this.ws);
  }

  committed(limit: number): Promise<DeploymentRow[]> {
    return committed(this.client, this.ws, limit);
  }

  get(id: number): Promise<DeploymentRow | undefined> {
    return get(this.client, this.ws, id);
  }

  log(txid: string, deploymentId: number | null, event: TxLogEvent, detail?: unknown): Promise<number> {
    return log(this.client, this.ws, txid, deploymentId, event, detail);
  }

  commit(input: CommitInput): Promise<CommitResult> {
    return this.local.exclusive(() => this.commitLocked(input));
  }

  private async commitLocked(input: CommitInput): Promise<CommitResult> {
    const db = this.client;
    const createdAt = new Date().toISOString();
    let prepared: { goLive(): void; discard(): void } | null = null;
    this.local.step("begin");
    await db.query("BEGIN");
    try {
      await db.query("SELECT pg_advisory_xact_lock($1, $2)", [LOCK_NAMESPACE, workspaceLockKey(this.ws)]);
      const live = await db.query<{ deployment_id: string }>(
        "SELECT deployment_id FROM heads WHERE workspace = $1 FOR UPDATE",
        [this.ws],
      );
      const liveId = live.rows[0] ? Number(live.rows[0].deployment_id) : null;
      if (liveId !== input.parentId) {
        throw new CaxtonError("E_BASE_MISMATCH", `the live deployment moved to ${liveId} during this deploy`);
      }
      await new PgBlobStore(db).put(input.newObjects);
      this.local.step("objects-adopted");
      const { rows } = await db.query<{ id: string }>(
        `INSERT INTO deployments (workspace, root, parent_id, kind, status, created_at, added, modified, deleted, deployed_by, meta)
         VALUES ($1, $2, $3, $4, 'committed', $5, $6, $7, $8, $9, $10) RETURNING id`,
        [
          this.ws,
          input.root,
          input.parentId,
          input.kind,
          createdAt,
          input.counts.added,
          input.counts.modified,
          input.counts.deleted,
          input.deployedBy,
          input.meta ? JSON.stringify(input.meta) : null,
        ],
      );
      const id = Number(rows[0]?.id);
      await log(db, this.ws, input.txid, id, "prepared", { root: input.root, ...input.counts });
      this.local.step("prepared");
      prepared = await this.local.prepare(id, input, db);
      await db.query(
        `INSERT INTO heads (workspace, deployment_id, root) VALUES ($1, $2, $3)
         ON CONFLICT (workspace) DO UPDATE SET deployment_id = $2, root = $3`,
        [this.ws, id, input.root],
      );
      await log(db, this.ws, input.txid, id, "committed", { root: input.root });
      await db.query("SELECT pg_notify($1, $2)", [HEAD_CHANNEL, this.ws]);
      this.local.step("synced");
      await db.query("COMMIT");
      this.local.step("committed");
      try {
        prepared.goLive();
        this.local.step("swapped");
        return { id, createdAt };
      } catch (err) {
        // live in the database, not yet here: the head follower materializes it on its next check
        return { id, createdAt, bookkeepingError: err };
      }
    } catch (err) {
      prepared?.discard();
      await db.query("ROLLBACK").catch(() => {});
      throw err;
    }
  }
}

async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw databaseError(err);
  }
}
