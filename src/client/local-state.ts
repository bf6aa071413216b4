/**
 * The client's local state, one SQLite file per user. Three things, all keyed by the workspace's absolute
 * path (and the server where it matters: its id, `serverKey`, else its URL):
 *  - the stat cache (stat_cache, stat_cache_delta): a compact base record per workspace and the delta
 *    since it (workspace/stat-cache-record.ts, client/stat-cache-store.ts) of path → size, mtime, ctime,
 *    inode, hash, and the tree object of every folder (the cache-tree);
 *  - the deployments this client made (ADR-0044's `deployments`) with the file map of the latest one per
 *    workspace and server (deployed_files), which makes `status` work offline, and its tree objects
 *    (deployed_trees: the root; deployed_tree_objects: a row per tree object, written by the change), from
 *    which deploy finds the change by descending only into folders whose hashes differ, reading just those;
 *  - server_objects: hashes this client has seen on a server, so a revert sends no content.
 */
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import type { TreeNode } from "../merkle/build-tree.js";
import type { FileChange } from "../merkle/diff-trees.js";
import type { StatCachePort } from "../workspace/stat-cache.js";
import { parseLimits, type ServerLimits } from "./server-limits.js";
import { sqliteStatCache } from "./stat-cache-store.js";
import { stateFileError } from "./state-file-error.js";
import { stateDir } from "./state-dir.js";

/** A deployment's tree objects as recordDeployment takes them (see recordTrees). */
export interface DeployedTrees {
  nodes: Iterable<TreeNode>;
  /** the tree diff's objects against the base on record, when there was one */
  changed?: ReadonlySet<string>;
}

export interface LocalDeployment {
  id: number;
  workspace_path: string;
  server_url: string;
  server_deployment_id: number | null;
  deployed_checksum: string;
  deployment_time: string;
  changes_count: number;
}

/** How the file map of a recorded deployment is written: the whole map, or the change from the stored one. */
export type FileMapUpdate =
  | {
      files: ReadonlyMap<string, string>;
      /** the file map stored now, when the caller has it loaded already */
      stored?: ReadonlyMap<string, string>;
    }
  | { changes: readonly FileChange[] };

const SCHEMA = `
-- one record per workspace: every file's stat fingerprint and hash, and every folder's tree object
CREATE TABLE IF NOT EXISTS stat_cache (
  workspace_path TEXT PRIMARY KEY,
  record BLOB NOT NULL
);
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
-- the root of that deployment, and its tree objects (with some of earlier deployments', pruned when they
-- outnumber the current ones), for finding the next change by tree diff; written by the change only
CREATE TABLE IF NOT EXISTS deployed_trees (
  workspace_path TEXT NOT NULL,
  server_url TEXT NOT NULL,
  root TEXT NOT NULL,
  tree_rows INTEGER NOT NULL,
  PRIMARY KEY (workspace_path, server_url)
);
CREATE TABLE IF NOT EXISTS deployed_tree_objects (
  workspace_path TEXT NOT NULL,
  server_url TEXT NOT NULL,
  hash TEXT NOT NULL,
  bytes BLOB NOT NULL,
  PRIMARY KEY (workspace_path, server_url, hash)
) WITHOUT ROWID;
-- which server a URL reaches (its Caxton-Server-Id): the tables above and below are keyed by that id when
-- known (their server_url column then holds it), so every spelling and port of one server shares one record
CREATE TABLE IF NOT EXISTS server_ids (
  url TEXT PRIMARY KEY,
  server_id TEXT NOT NULL
) WITHOUT ROWID;
-- the size limits each server last announced (Caxton-Limits), checked before a fast-path upload
CREATE TABLE IF NOT EXISTS server_limits (
  server_url TEXT PRIMARY KEY,
  limits TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS server_objects (
  server_url TEXT NOT NULL,
  checksum TEXT NOT NULL,
  PRIMARY KEY (server_url, checksum)
) WITHOUT ROWID;
-- the file-system monitor's token the stat cache record is current as of (written with the record)
CREATE TABLE IF NOT EXISTS monitor_tokens (
  workspace_path TEXT PRIMARY KEY,
  token TEXT NOT NULL
);
-- what changed since a workspace's stat_cache record (client/stat-cache-store.ts), so a small change writes
-- a small record (last, so that a new file lays the tables above out as before)
CREATE TABLE IF NOT EXISTS stat_cache_delta (
  workspace_path TEXT PRIMARY KEY,
  record BLOB NOT NULL
);
`;

export class LocalState {
  private readonly db: Database.Database;

  private constructor(path: string) {
    // another caxton process may hold the write lock (a watch beside a status, parallel deploys in CI): wait
    this.db = new Database(path, { timeout: 15_000 });
    this.db.pragma("journal_mode = WAL");
    // the cache can always be rebuilt from the workspace and the server: no need to wait for the disk
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("foreign_keys = ON");
    // the stat cache is only a cache: an older layout (one row per file) is dropped, not migrated
    this.db.exec(`DROP TABLE IF EXISTS file_checksums`);
    const fileMap = this.db.prepare(`SELECT name FROM pragma_table_info('deployed_files')`).pluck().all();
    if (fileMap.includes("deployment_id")) this.db.exec(`DROP TABLE deployed_files; DELETE FROM deployments`);
    // the tree objects as one record per deployment: the next deploy diffs file maps, and records them anew
    const treeTable = this.db.prepare(`SELECT name FROM pragma_table_info('deployed_trees')`).pluck().all();
    if (treeTable.length > 0 && !treeTable.includes("tree_rows")) this.db.exec(`DROP TABLE deployed_trees`);
    this.db.exec(SCHEMA);
  }

  /**
   * Opens (creating) `dir/state.db`. A damaged file is an E_STATE error with `detail.state` "damaged"
   * (open-local-state.ts moves it aside and starts afresh), met now or in any later call: every method of the
   * returned state, and the stat cache's, answer SQLite's failures as that one error type
   * (state-file-error.ts); a file of another user or not writable says so.
   */
  static open(dir: string = stateDir()): LocalState {
    const file = join(dir, "state.db");
    let state: LocalState;
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      state = new LocalState(file);
    } catch (err) {
      throw stateFileError(err, dir, file);
    }
    const guard = (run: (...args: unknown[]) => unknown) =>
      function (this: unknown, ...args: unknown[]): unknown {
        try {
          return run.apply(state, args);
        } catch (err) {
          throw stateFileError(err, dir, file);
        }
      };
    // every method at once, so none can let a raw SqliteError (and its stack) escape
    return new Proxy(state, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === "function" ? guard(value as (...args: unknown[]) => unknown) : value;
      },
    });
  }

  /** The limits this server last announced, or null (parsed again: the file is a cache, not trusted). */
  serverLimits(server: string): ServerLimits | null {
    const raw = this.db.prepare(`SELECT limits FROM server_limits WHERE server_url = ?`).pluck().get(server);
    return typeof raw === "string" ? parseLimits(raw) : null;
  }

  rememberLimits(server: string, limits: ServerLimits): void {
    const text = Object.entries(limits)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(", ");
    this.db
      .prepare(`INSERT OR REPLACE INTO server_limits (server_url, limits) VALUES (?, ?)`)
      .run(server, text);
  }

  /**
   * The stat cache of a workspace (stat-cache-store.ts): a base and a delta record, read in one call; a
   * save writes the change into the delta.
   */
  statCache(workspace: string): StatCachePort {
    const file = this.db.name;
    // the port's calls run later, outside the state's own methods: guarded here
    const guarded = <T>(run: () => T): T => {
      try {
        return run();
      } catch (err) {
        throw stateFileError(err, dirname(file), file);
      }
    };
    return guarded(() => sqliteStatCache(this.db, workspace, guarded));
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
    this.db
      .transaction(() => {
        this.db.prepare(`INSERT OR REPLACE INTO server_ids (url, server_id) VALUES (?, ?)`).run(url, id);
        const tables = [
          "deployments",
          "deployed_files",
          "deployed_trees",
          "deployed_tree_objects",
          "server_objects",
        ];
        for (const table of tables) {
          this.db.prepare(`UPDATE OR IGNORE ${table} SET server_url = ? WHERE server_url = ?`).run(id, url);
          this.db.prepare(`DELETE FROM ${table} WHERE server_url = ?`).run(url);
        }
      })
      .immediate();
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

  /**
   * The tree objects of the last deployment here, by hash, if they are on record for this root: read one by
   * one as a tree diff asks for them (the folders on a change's path), not all at once.
   */
  deployedTrees(
    workspace: string,
    server: string,
    root: string,
  ): { get(hash: string): Buffer | undefined } | undefined {
    const row = this.db
      .prepare(`SELECT root FROM deployed_trees WHERE workspace_path = ? AND server_url = ?`)
      .get(workspace, server) as { root: string } | undefined;
    if (row?.root !== root) return undefined;
    const one = this.db
      .prepare(
        `SELECT bytes FROM deployed_tree_objects WHERE workspace_path = ? AND server_url = ? AND hash = ?`,
      )
      .pluck();
    return { get: (hash) => one.get(workspace, server, hash) as Buffer | undefined };
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
   * (older rows stay as history without their files), written as the change only; its tree objects replace
   * the previous ones (without them, the next deploy diffs file maps instead); every object it references is
   * known on the server.
   */
  recordDeployment(
    d: Omit<LocalDeployment, "id">,
    update: FileMapUpdate,
    objects: Iterable<string>,
    trees?: DeployedTrees,
  ): number {
    return this.db
      .transaction(() => {
        // only the change is written: a one-file deploy in a 100,000-file workspace writes one row, not 100,000
        const del = this.db.prepare(
          `DELETE FROM deployed_files WHERE workspace_path = ? AND server_url = ? AND path = ?`,
        );
        const put = this.db.prepare(
          `INSERT OR REPLACE INTO deployed_files (workspace_path, server_url, path, checksum) VALUES (?, ?, ?, ?)`,
        );
        if ("changes" in update) {
          for (const c of update.changes) {
            if (c.after === undefined) del.run(d.workspace_path, d.server_url, c.path);
            else put.run(d.workspace_path, d.server_url, c.path, c.after);
          }
        } else {
          const { files } = update;
          const before = update.stored ?? this.deployedFiles(d.workspace_path, d.server_url);
          for (const path of before.keys())
            if (!files.has(path)) del.run(d.workspace_path, d.server_url, path);
          for (const [path, hash] of files) {
            if (before.get(path) !== hash) put.run(d.workspace_path, d.server_url, path, hash);
          }
        }
        this.recordTrees(d.workspace_path, d.server_url, d.deployed_checksum, trees);
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
      })
      .immediate();
  }

  /**
   * The deployment's tree objects: with `changed` (the tree diff's objects: every tree the new tree has and
   * the base has not is among them), only those rows are added to the base's; else all are written anew.
   * Rows of trees no longer reached stay until they outnumber the current ones, then go in one pass.
   */
  private recordTrees(workspace: string, server: string, root: string, trees?: DeployedTrees): void {
    const where = `WHERE workspace_path = ? AND server_url = ?`;
    if (!trees) {
      this.db.prepare(`DELETE FROM deployed_trees ${where}`).run(workspace, server);
      this.db.prepare(`DELETE FROM deployed_tree_objects ${where}`).run(workspace, server);
      return;
    }
    const nodes = [...trees.nodes];
    const put = this.db.prepare(
      `INSERT OR IGNORE INTO deployed_tree_objects (workspace_path, server_url, hash, bytes) VALUES (?, ?, ?, ?)`,
    );
    // how many rows the record holds, kept beside the root: counting them would cost a pass over them
    const held = this.db
      .prepare(`SELECT tree_rows FROM deployed_trees ${where}`)
      .pluck()
      .get(workspace, server) as number | undefined;
    const changed = trees.changed;
    let rows = 0;
    if (changed && held !== undefined && held <= 2 * nodes.length) {
      rows = held;
      for (const n of nodes)
        if (changed.has(n.hash)) rows += put.run(workspace, server, n.hash, n.bytes).changes;
    } else {
      this.db.prepare(`DELETE FROM deployed_tree_objects ${where}`).run(workspace, server);
      for (const n of nodes) rows += put.run(workspace, server, n.hash, n.bytes).changes;
    }
    this.db
      .prepare(
        `INSERT OR REPLACE INTO deployed_trees (workspace_path, server_url, root, tree_rows) VALUES (?, ?, ?, ?)`,
      )
      .run(workspace, server, root, rows);
  }

  rememberObjects(server: string, objects: Iterable<string>): void {
    const ins = this.db.prepare(`INSERT OR IGNORE INTO server_objects (server_url, checksum) VALUES (?, ?)`);
    this.db
      .transaction(() => {
        for (const h of objects) ins.run(server, h);
      })
      .immediate();
  }

  close(): void {
    this.db.close();
  }
}
