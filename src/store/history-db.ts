/**
 * The deployment history and the append-only transaction log, in one SQLite file (WAL, synchronous=FULL).
 * The live deployment is whatever `current` points at; the history records what led there. Start-up
 * recovery (recover-data-dir.ts) reconciles the two after a crash.
 */
import Database from "better-sqlite3";

import type { DeploymentRow, DeploymentStatus, TxLogEvent, TxLogRow } from "./deployment-store.js";

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

export class HistoryDb {
  private readonly db: Database.Database;
  private readonly stmts;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.exec(SCHEMA);
    this.stmts = {
      insert: this.db.prepare(
        `INSERT INTO deployments (root, parent_id, kind, status, created_at, added, modified, deleted, deployed_by, meta)
         VALUES (@root, @parent_id, @kind, 'prepared', @created_at, @added, @modified, @deleted, @deployed_by, @meta)`,
      ),
      setStatus: this.db.prepare(`UPDATE deployments SET status = ? WHERE id = ?`),
      get: this.db.prepare(`SELECT * FROM deployments WHERE id = ?`),
      byStatus: this.db.prepare(`SELECT * FROM deployments WHERE status = ? ORDER BY id`),
      list: this.db.prepare(`SELECT * FROM deployments WHERE status = 'committed' ORDER BY id DESC LIMIT ?`),
      log: this.db.prepare(
        `INSERT INTO txlog (time, txid, deployment_id, event, detail) VALUES (?, ?, ?, ?, ?)`,
      ),
      logTail: this.db.prepare(`SELECT * FROM txlog ORDER BY seq DESC LIMIT ?`),
      after: this.db.prepare(`SELECT * FROM txlog WHERE event = ? AND seq > ? ORDER BY seq LIMIT ?`),
    };
  }

  insertPrepared(row: Omit<DeploymentRow, "id" | "status">): number {
    return Number(this.stmts.insert.run(row).lastInsertRowid);
  }

  setStatus(id: number, status: DeploymentStatus): void {
    this.stmts.setStatus.run(status, id);
  }

  get(id: number): DeploymentRow | undefined {
    return this.stmts.get.get(id) as DeploymentRow | undefined;
  }

  withStatus(status: DeploymentStatus): DeploymentRow[] {
    return this.stmts.byStatus.all(status) as DeploymentRow[];
  }

  committed(limit: number): DeploymentRow[] {
    return this.stmts.list.all(limit) as DeploymentRow[];
  }

  /** Appends to the transaction log; returns the entry's sequence number. */
  log(txid: string, deploymentId: number | null, event: TxLogEvent, detail?: unknown): number {
    return Number(
      this.stmts.log.run(
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
    return this.stmts.after.all(event, seq, limit) as TxLogRow[];
  }

  logTail(limit: number): TxLogRow[] {
    return this.stmts.logTail.all(limit) as TxLogRow[];
  }

  close(): void {
    this.db.close();
  }
}
