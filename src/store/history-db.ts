/**
 * The deployment history and the append-only transaction log, in one SQLite file (WAL, synchronous=FULL),
 * shared by every workspace: each row carries its workspace, and `forWorkspace(id)` is one workspace's
 * view. The live deployment is whatever that workspace's `current` points at; the history records what led
 * there. Start-up recovery (recover-data-dir.ts) reconciles the two after a crash. Deployment ids and log
 * sequence numbers are unique in the file and so increase within each workspace.
 */
import Database from "better-sqlite3";

import type {
  DeploymentRow,
  DeploymentStatus,
  TxLogEvent,
  TxLogRow,
  WorkspaceId,
} from "./deployment-store.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS deployments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  root TEXT NOT NULL,
  parent_id INTEGER,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at TEXT NOT NULL,
  added INTEGER NOT NULL,
  modified INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  deployed_by TEXT,
  meta TEXT
);
CREATE TABLE IF NOT EXISTS txlog (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  time TEXT NOT NULL,
  txid TEXT NOT NULL,
  deployment_id INTEGER,
  event TEXT NOT NULL,
  detail TEXT
);
-- append-only: the log is evidence, so the database itself refuses edits
CREATE TRIGGER IF NOT EXISTS txlog_no_update BEFORE UPDATE ON txlog BEGIN SELECT RAISE(ABORT, 'txlog is append-only'); END;
CREATE TRIGGER IF NOT EXISTS txlog_no_delete BEFORE DELETE ON txlog BEGIN SELECT RAISE(ABORT, 'txlog is append-only'); END;
`;

/** Data dirs made before workspaces hold rows of `default` only: the column is added with that default. */
const WORKSPACE_COLUMN = `workspace TEXT NOT NULL DEFAULT 'default'`;
const WORKSPACE_INDEXES = `
CREATE INDEX IF NOT EXISTS deployments_by_workspace ON deployments (workspace, status, id);
CREATE INDEX IF NOT EXISTS txlog_by_workspace ON txlog (workspace, event, seq);
`;

/** a row as the port knows it (the workspace is the view's) */
const ROW = "id, root, parent_id, kind, status, created_at, added, modified, deleted, deployed_by, meta";

export class HistoryDb {
  private readonly db: Database.Database;
  private readonly stmts;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.exec(SCHEMA);
    for (const table of ["deployments", "txlog"]) {
      const columns = this.db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[];
      if (!columns.some((c) => c.name === "workspace"))
        this.db.exec(`ALTER TABLE ${table} ADD COLUMN ${WORKSPACE_COLUMN}`);
    }
    this.db.exec(WORKSPACE_INDEXES);
    this.stmts = {
      insert: this.db.prepare(
        `INSERT INTO deployments (workspace, root, parent_id, kind, status, created_at, added, modified, deleted, deployed_by, meta)
         VALUES (@workspace, @root, @parent_id, @kind, 'prepared', @created_at, @added, @modified, @deleted, @deployed_by, @meta)`,
      ),
      setStatus: this.db.prepare(`UPDATE deployments SET status = ? WHERE id = ? AND workspace = ?`),
      get: this.db.prepare(`SELECT ${ROW} FROM deployments WHERE id = ? AND workspace = ?`),
      byStatus: this.db.prepare(
        `SELECT ${ROW} FROM deployments WHERE status = ? AND workspace = ? ORDER BY id`,
      ),
      list: this.db.prepare(
        `SELECT ${ROW} FROM deployments WHERE status = 'committed' AND workspace = ? ORDER BY id DESC LIMIT ?`,
      ),
      log: this.db.prepare(
        `INSERT INTO txlog (workspace, time, txid, deployment_id, event, detail) VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      lastSeq: this.db.prepare(`SELECT coalesce(max(seq), 0) AS seq FROM txlog WHERE workspace = ?`),
      after: this.db.prepare(
        `SELECT seq, time, txid, deployment_id, event, detail FROM txlog
         WHERE workspace = ? AND event = ? AND seq > ? ORDER BY seq LIMIT ?`,
      ),
      workspaces: this.db.prepare(
        `SELECT DISTINCT workspace FROM deployments WHERE status IN ('committed', 'pruned') ORDER BY workspace`,
      ),
      anyRows: this.db.prepare(`SELECT DISTINCT workspace FROM deployments ORDER BY workspace`),
    };
  }

  /** One workspace's history and log. */
  forWorkspace(workspace: WorkspaceId): WorkspaceHistory {
    return new WorkspaceHistory(workspace, this.stmts);
  }

  /** The workspaces with a deployment that was ever committed (a workspace exists from its first commit). */
  workspaces(): WorkspaceId[] {
    return (this.stmts.workspaces.all() as { workspace: string }[]).map((r) => r.workspace);
  }

  /** The workspaces with any row at all, prepared ones included (what start-up recovery visits). */
  workspacesWithRows(): WorkspaceId[] {
    return (this.stmts.anyRows.all() as { workspace: string }[]).map((r) => r.workspace);
  }

  close(): void {
    this.db.close();
  }
}

type Statements = HistoryDb["stmts"];

export class WorkspaceHistory {
  constructor(
    readonly workspace: WorkspaceId,
    private readonly stmts: Statements,
  ) {}

  insertPrepared(row: Omit<DeploymentRow, "id" | "status">): number {
    return Number(this.stmts.insert.run({ ...row, workspace: this.workspace }).lastInsertRowid);
  }

  setStatus(id: number, status: DeploymentStatus): void {
    this.stmts.setStatus.run(status, id, this.workspace);
  }

  get(id: number): DeploymentRow | undefined {
    return this.stmts.get.get(id, this.workspace) as DeploymentRow | undefined;
  }

  withStatus(status: DeploymentStatus): DeploymentRow[] {
    return this.stmts.byStatus.all(status, this.workspace) as DeploymentRow[];
  }

  committed(limit: number): DeploymentRow[] {
    return this.stmts.list.all(this.workspace, limit) as DeploymentRow[];
  }

  /** Appends to the transaction log; returns the entry's sequence number. */
  log(txid: string, deploymentId: number | null, event: TxLogEvent, detail?: unknown): number {
    return Number(
      this.stmts.log.run(
        this.workspace,
        new Date().toISOString(),
        txid,
        deploymentId,
        event,
        detail === undefined ? null : JSON.stringify(detail),
      ).lastInsertRowid,
    );
  }

  /** Log entries of one kind after a sequence number, oldest first (for resuming event streams). */
  entriesAfter(event: TxLogEvent, seq: number, limit: number): TxLogRow[] {
    return this.stmts.after.all(this.workspace, event, seq, limit) as TxLogRow[];
  }

  lastSeq(): number {
    return (this.stmts.lastSeq.get(this.workspace) as { seq: number }).seq;
  }
}
