/**
 * The client's local state, one SQLite file per user. Three things, all keyed by the workspace's absolute
 * path (and the server where it matters: its id, `serverKey`, else its URL):
 *  - the stat cache (file_checksums): path → size, mtime, ctime, inode, hash, when hashed;
 *  - the deployments this client made (ADR-0044's `deployments`) with the file map of the latest one per
 *    workspace and server (deployed_files), which makes `status` work offline and gives deploy its base;
 *  - server_objects: hashes this client has seen on a server, so a revert sends no content.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { CaxtonError } from "../errors/caxton-error.js";
import type { StatCachePort, StatEntry } from "../workspace/stat-cache.js";
import { stateDir } from "./state-dir.js";

export interface LocalDeployment {
  id: number;
  workspace_path: string;
  server_url: string;
  server_deployment_id: number | null;
  deployed_checksum: string;
  deployment_time: string;
  changes_count: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS file_checksums (
  workspace_path TEXT NOT NULL,
  path TEXT NOT NULL,
  -- "size:mtime_ns:ctime_ns:inode" (see workspace/stat-cache.ts)
  stat TEXT NOT NULL,
  checksum TEXT NOT NULL,
  -- 0 when racily clean: hashed within a timestamp tick of its last change, so never trusted
  clean INTEGER NOT NULL,
  PRIMARY KEY (workspace_path, path)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS deployments (
  id INTEGER PRIMARY KEY,
  workspace_path TEXT NOT NULL,
  server_url TEXT NOT NULL,
  server_deployment_id INTEGER,
  deployed_checksum TEXT NOT NULL,
  deployment_time TEXT NOT NULL,
  changes_count INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS deployments_by_target ON deployments (workspace_path, server_url, id);
-- the file map of the latest deployment per workspace and server, updated by the change only
CREATE TABLE IF NOT EXISTS deployed_files (
  workspace_path TEXT NOT NULL,
  server_url TEXT NOT NULL,
  path TEXT NOT NULL,
  checksum TEXT NOT NULL,
  PRIMARY KEY (workspace_path, server_url, path)
) WITHOUT ROWID;
-- which server a URL reaches (its Caxton-Server-Id): the tables above and below are keyed by that id when
-- known (their server_url column then holds it), so every spelling and port of one server shares one record
CREATE TABLE IF NOT EXISTS server_ids (
  url TEXT PRIMARY KEY,
  server_id TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS server_objects (
  server_url TEXT NOT NULL,
  checksum TEXT NOT NULL,
  PRIMARY KEY (server_url, checksum)
) WITHOUT ROWID;
`;

export class LocalState {
  private readonly db: Database.Database;

  private constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    // the cache can always be rebuilt from the workspace and the server: no need to wait for the disk
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("foreign_keys = ON");
    // the stat cache is only a cache: an older layout is dropped, not migrated
    const columns = this.db.prepare(`SELECT name FROM pragma_table_info('file_checksums')`).pluck().all();
    if (columns.length > 0 && !columns.includes("stat")) this.db.exec(`DROP TABLE file_checksums`);
    const fileMap = this.db.prepare(`SELECT name FROM pragma_table_info('deployed_files')`).pluck().all();
    if (fileMap.includes("deployment_id")) this.db.exec(`DROP TABLE deployed_files; DELETE FROM deployments`);
    this.db.exec(SCHEMA);
  }

  static open(dir: string = stateDir()): LocalState {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      return new LocalState(join(dir, "state.db"));
    } catch (err) {
      throw new CaxtonError("E_STATE", `cannot open the local state in ${dir}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  statCache(workspace: string): StatCachePort {
    const select = this.db
      .prepare(`SELECT path, stat, checksum, clean FROM file_checksums WHERE workspace_path = ?`)
      .raw(true);
    const upsert = this.db.prepare(
      `INSERT OR REPLACE INTO file_checksums (workspace_path, path, stat, checksum, clean) VALUES (?, ?, ?, ?, ?)`,
    );
    const remove = this.db.prepare(`DELETE FROM file_checksums WHERE workspace_path = ? AND path = ?`);
    return {
      load: () => {
        const map = new Map<string, StatEntry>();
        for (const [path, fingerprint, hash, clean] of select.iterate(workspace) as Iterable<
          [string, string, string, number]
        >) {
          map.set(path, { fingerprint, hash, clean: clean === 1 });
        }
        return map;
      },
      save: this.db.transaction((changed: Map<string, StatEntry>, removed: string[]) => {
        for (const [path, e] of changed) upsert.run(workspace, path, e.fingerprint, e.hash, e.clean ? 1 : 0);
        for (const path of removed) remove.run(workspace, path);
      }),
    };
  }

  /** What this state keys a server by: its id, once an answer from this URL reported it; else the URL. */
  serverKey(url: string): string {
    const id = this.db.prepare(`SELECT server_id FROM server_ids WHERE url = ?`).pluck().get(url);
    return typeof id === "string" ? id : url;
  }

  /**
   * Records that `url` reaches the server `id`, and returns the key to use for it (the id). Rows an older
   * state kept under the URL itself move to the id; rows the id has already win.
   */
  learnServerId(url: string, id: string): string {
    if (this.serverKey(url) === id) return id;
    this.db.transaction(() => {
      this.db.prepare(`INSERT OR REPLACE INTO server_ids (url, server_id) VALUES (?, ?)`).run(url, id);
      for (const table of ["deployments", "deployed_files", "server_objects"]) {
        this.db.prepare(`UPDATE OR IGNORE ${table} SET server_url = ? WHERE server_url = ?`).run(id, url);
        this.db.prepare(`DELETE FROM ${table} WHERE server_url = ?`).run(url);
      }
    })();
    return id;
  }

  lastDeployment(workspace: string, server: string): LocalDeployment | undefined {
    return this.db
      .prepare(
        `SELECT * FROM deployments WHERE workspace_path = ? AND server_url = ? ORDER BY id DESC LIMIT 1`,
      )
      .get(workspace, server) as LocalDeployment | undefined;
  }

  /** The file map of the last deployment from this workspace to this server (empty if none). */
  deployedFiles(workspace: string, server: string): Map<string, string> {
    const rows = this.db
      .prepare(`SELECT path, checksum FROM deployed_files WHERE workspace_path = ? AND server_url = ?`)
      .raw(true)
      .all(workspace, server) as [string, string][];
    return new Map(rows);
  }

  /** Of the given hashes, those this client has seen on the server. */
  knownOnServer(server: string, hashes: Iterable<string>): Set<string> {
    const stmt = this.db
      .prepare(`SELECT 1 FROM server_objects WHERE server_url = ? AND checksum = ?`)
      .pluck();
    const known = new Set<string>();
    for (const h of hashes) if (stmt.get(server, h) !== undefined) known.add(h);
    return known;
  }

  /**
   * Records a successful deployment: its file map replaces the previous one for this workspace and server
   * (older rows stay as history without their files), and every object it references is known on the server.
   */
  recordDeployment(
    d: Omit<LocalDeployment, "id">,
    files: ReadonlyMap<string, string>,
    objects: Iterable<string>,
    /** the file map stored now, when the caller has it loaded already */
    stored?: ReadonlyMap<string, string>,
  ): number {
    return this.db.transaction(() => {
      // only the change is written: a one-file deploy in a 100,000-file workspace writes one row, not 100,000
      const before = stored ?? this.deployedFiles(d.workspace_path, d.server_url);
      const del = this.db.prepare(
        `DELETE FROM deployed_files WHERE workspace_path = ? AND server_url = ? AND path = ?`,
      );
      const put = this.db.prepare(
        `INSERT OR REPLACE INTO deployed_files (workspace_path, server_url, path, checksum) VALUES (?, ?, ?, ?)`,
      );
      for (const path of before.keys()) if (!files.has(path)) del.run(d.workspace_path, d.server_url, path);
      for (const [path, hash] of files) {
        if (before.get(path) !== hash) put.run(d.workspace_path, d.server_url, path, hash);
      }
      const id = Number(
        this.db
          .prepare(
            `INSERT INTO deployments (workspace_path, server_url, server_deployment_id, deployed_checksum, deployment_time, changes_count)
             VALUES (@workspace_path, @server_url, @server_deployment_id, @deployed_checksum, @deployment_time, @changes_count)`,
          )
          .run(d).lastInsertRowid,
      );
      this.rememberObjects(d.server_url, objects);
      return id;
    })();
  }

  rememberObjects(server: string, objects: Iterable<string>): void {
    const ins = this.db.prepare(`INSERT OR IGNORE INTO server_objects (server_url, checksum) VALUES (?, ?)`);
    this.db.transaction(() => {
      for (const h of objects) ins.run(server, h);
    })();
  }

  close(): void {
    this.db.close();
  }
}
