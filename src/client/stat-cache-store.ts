/**
 * The stat cache port (workspace/stat-cache.ts) kept in the local state's SQLite file as two records per
 * workspace (workspace/stat-cache-record.ts): the base (`stat_cache`) and the delta since it
 * (`stat_cache_delta`), both read by one statement. A save rewrites the delta only, so its cost follows the
 * change, not the workspace: one file changed in 100,000 writes a few hundred bytes, not the 13–20 MB base.
 * When the delta outgrows an eighth of the base (or there is no base a delta may extend), the save
 * compacts: a new base with a new stamp, and no delta, in one transaction. Every write is one SQLite
 * statement or transaction, so a crash leaves the old records or the new ones.
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
  const read = (): StatCacheContents => {
    if (contents) return contents;
    const row = db
      .prepare(
        `SELECT s.record AS base, d.record AS delta FROM stat_cache s
         LEFT JOIN stat_cache_delta d ON d.workspace_path = s.workspace_path WHERE s.workspace_path = ?`,
      )
      .get(workspace) as { base: Buffer; delta: Buffer | null } | undefined;
    contents = (row ? decodeStatCache(row.base) : undefined) ?? { entries: new Map(), folders: new Map() };
    stamp = contents.stamp ?? null;
    baseBytes = row?.base.length ?? 0;
    const since = row?.delta && stamp ? decodeStatDelta(row.delta, stamp) : undefined;
    if (since) {
      applyStatDelta(contents, since);
      delta = since;
    }
    return contents;
  };
  const writeBase = db.prepare(`INSERT OR REPLACE INTO stat_cache (workspace_path, record) VALUES (?, ?)`);
  const dropDelta = db.prepare(`DELETE FROM stat_cache_delta WHERE workspace_path = ?`);
  const writeDelta = db.prepare(
    `INSERT OR REPLACE INTO stat_cache_delta (workspace_path, record) VALUES (?, ?)`,
  );
  const compact = (c: StatCacheContents): void => {
    stamp = randomBytes(STAMP_BYTES);
    const base = encodeStatCache(c.entries, c.folders, stamp);
    db.transaction(() => {
      writeBase.run(workspace, base);
      dropDelta.run(workspace);
    })();
    baseBytes = base.length;
    delta = { entries: new Map(), folders: new Map() };
  };
  return {
    load: () => guarded(() => read().entries),
    loadFolders: () => guarded(() => read().folders),
    save: (changed: Map<string, StatEntry>, removed: string[], folders?: Map<string, CachedFolder>) =>
      guarded(() => {
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
          return compact(c);
        }
        for (const [path, f] of folders) {
          const before = c.folders.get(path);
          if (!before || before.hash !== f.hash || before.files !== f.files || before.dirs !== f.dirs)
            delta.folders.set(path, f);
        }
        for (const path of c.folders.keys()) if (!folders.has(path)) delta.folders.set(path, null);
        c.folders = folders;
        if (!stamp) return compact(c);
        const record = encodeStatDelta(stamp, delta);
        if (record.length > baseBytes * COMPACT_ABOVE) return compact(c);
        writeDelta.run(workspace, record);
      }),
  };
}
