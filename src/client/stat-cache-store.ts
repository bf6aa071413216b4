/**
 * The stat cache port (workspace/stat-cache.ts) kept in the local state's SQLite file as two records per
 * workspace (workspace/stat-cache-record.ts): the base (`stat_cache`) and the delta since it
 * (`stat_cache_delta`), both read by one statement. A save rewrites the delta only, so its cost follows the
 * change, not the workspace: one file changed in 100,000 writes a few hundred bytes, not the 13–20 MB base.
 * When the delta outgrows an eighth of the base (or there is no base a delta may extend), the save
 * compacts: a new base with a new stamp, and no delta, in one transaction. Every write is one SQLite
 * statement or transaction, so a crash leaves the old records or the new ones. The file-system monitor's
 * token the records are current as of (`monitor_tokens`) is read and written with them, in the same
 * transaction.
 */
import { randomBytes } from "node:crypto";
import type Database from "better-sqlite3";
import type { CachedFolder, StatCachePort, StatEntry } from "../workspace/stat-cache.js";
import {
  applyStatDelta,
  decodeStatCache,
  decodeStatDelta,
  encodeStatCache,
  encodeStatDelta,
  STAMP_BYTES,
  type StatCacheContents,
  type StatCacheDelta,
} from "../workspace/stat-cache-record.js";

/** The base record and the delta since it, as one statement reads them. */
interface Row {
  base: Buffer;
  delta: Buffer | null;
}

/** A delta larger than this share of the base is folded into a new base. */
const COMPACT_ABOVE = 1 / 8;

export function sqliteStatCache(
  db: Database.Database,
  workspace: string,
  /** runs a call, answering SQLite's failures as the local state's error (state-file-error.ts) */
  guarded: <T>(run: () => T) => T,
): StatCachePort {
  let contents: StatCacheContents | undefined;
  let stamp: Buffer | null = null;
  let baseBytes = 0;
  let delta: StatCacheDelta = { entries: new Map(), folders: new Map() };
  let token: string | null = null;
  const read = (): StatCacheContents => {
    if (contents) return contents;
    // one snapshot: the records and the token they are current as of, as one writer left them
    const [row, t] = db.transaction((): [Row | undefined, unknown] => [
      db
        .prepare(
          `SELECT s.record AS base, d.record AS delta FROM stat_cache s
           LEFT JOIN stat_cache_delta d ON d.workspace_path = s.workspace_path WHERE s.workspace_path = ?`,
        )
        .get(workspace) as Row | undefined,
      db.prepare(`SELECT token FROM monitor_tokens WHERE workspace_path = ?`).pluck().get(workspace),
    ])();
    const record = row ? decodeStatCache(row.base) : undefined;
    contents = record ?? { entries: new Map(), folders: new Map() };
    stamp = contents.stamp ?? null;
    baseBytes = row?.base.length ?? 0;
    const since = row?.delta && stamp ? decodeStatDelta(row.delta, stamp) : undefined;
    if (since) {
      applyStatDelta(contents, since);
      delta = since;
    }
    // a delta that does not extend this base was written beside another writer's new base: the token
    // belongs to one of the two, so the records cannot vouch for it
    token = record && typeof t === "string" && (!row?.delta || since) ? t : null;
    return contents;
  };
  const writeBase = db.prepare(`INSERT OR REPLACE INTO stat_cache (workspace_path, record) VALUES (?, ?)`);
  const dropDelta = db.prepare(`DELETE FROM stat_cache_delta WHERE workspace_path = ?`);
  const writeDelta = db.prepare(
    `INSERT OR REPLACE INTO stat_cache_delta (workspace_path, record) VALUES (?, ?)`,
  );
  const writeToken = db.prepare(
    `INSERT OR REPLACE INTO monitor_tokens (workspace_path, token) VALUES (?, ?)`,
  );
  const dropToken = db.prepare(`DELETE FROM monitor_tokens WHERE workspace_path = ?`);
  const advance = db.prepare(`UPDATE monitor_tokens SET token = ? WHERE workspace_path = ? AND token = ?`);
  /** writes the delta, or with `base` a new base and no delta, and the token, in one transaction */
  const write = db.transaction((record: Buffer, base: boolean, next: string | null) => {
    if (base) {
      writeBase.run(workspace, record);
      dropDelta.run(workspace);
    } else writeDelta.run(workspace, record);
    if (next === null) dropToken.run(workspace);
    else writeToken.run(workspace, next);
    token = next;
  });
  const compact = (c: StatCacheContents, next: string | null): void => {
    stamp = randomBytes(STAMP_BYTES);
    const base = encodeStatCache(c.entries, c.folders, stamp);
    write.immediate(base, true, next);
    baseBytes = base.length;
    delta = { entries: new Map(), folders: new Map() };
  };
  return {
    load: () => guarded(() => read().entries),
    loadFolders: () => guarded(() => read().folders),
    monitorToken: () =>
      guarded(() => {
        read();
        return token;
      }),
    advanceMonitorToken: (next: string) =>
      guarded(() => {
        read();
        if (token === null) return;
        advance.run(next, workspace, token);
        token = next;
      }),
    save: (
      changed: Map<string, StatEntry>,
      removed: string[],
      folders?: Map<string, CachedFolder>,
      monitorToken?: string,
    ) =>
      guarded(() => {
        const next = monitorToken ?? null;
        const c = read();
        for (const [path, e] of changed) {
          c.entries.set(path, e);
          delta.entries.set(path, e);
        }
        for (const path of removed) {
          c.entries.delete(path);
          delta.entries.set(path, null);
        }
        // cached trees are valid only beside the entries saved with them: none rather than stale ones
        if (!folders) {
          c.folders = new Map();
          return compact(c, next);
        }
        for (const [path, f] of folders) {
          const before = c.folders.get(path);
          if (!before || before.hash !== f.hash || before.files !== f.files || before.dirs !== f.dirs)
            delta.folders.set(path, f);
        }
        for (const path of c.folders.keys()) if (!folders.has(path)) delta.folders.set(path, null);
        c.folders = folders;
        if (!stamp) return compact(c, next);
        const record = encodeStatDelta(stamp, delta);
        if (record.length > baseBytes * COMPACT_ABOVE) return compact(c, next);
        write.immediate(record, false, next);
      }),
  };
}
