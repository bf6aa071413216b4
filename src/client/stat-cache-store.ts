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
 *
 * A process that runs many commands (the file-system monitor running them for clients) keeps what it last
 * read or wrote in memory, and reads the records again only when they may have changed: every write rewrites
 * the token in the same transaction, to a new token (each is issued once) or to none, so the same token
 * means the same records, and reading it is one small row instead of decoding the records.
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

/** The records as read or written, and the delta since the base they extend. */
interface Loaded {
  contents: StatCacheContents;
  stamp: Buffer | null;
  baseBytes: number;
  delta: StatCacheDelta;
  token: string | null;
}

/** What this process last read or wrote, by state file and workspace, current as of its (non-null) token. */
const resident = new Map<string, Loaded>();

export function sqliteStatCache(
  db: Database.Database,
  workspace: string,
  /** runs a call, answering SQLite's failures as the local state's error (state-file-error.ts) */
  guarded: <T>(run: () => T) => T,
): StatCachePort {
  // a file's records may be kept across commands; an in-memory database is a new one each time
  const key = db.memory ? null : `${db.name}\n${workspace}`;
  const readToken = db.prepare(`SELECT token FROM monitor_tokens WHERE workspace_path = ?`).pluck();
  let loaded: Loaded | undefined;
  const read = (): Loaded => {
    if (loaded) return loaded;
    const kept = key === null ? undefined : resident.get(key);
    if (kept && kept.token !== null && readToken.get(workspace) === kept.token) return (loaded = kept);
    if (key !== null) resident.delete(key);
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
    const contents: StatCacheContents = record ?? { entries: new Map(), folders: new Map() };
    const stamp = contents.stamp ?? null;
    const since = row?.delta && stamp ? decodeStatDelta(row.delta, stamp) : undefined;
    if (since) applyStatDelta(contents, since);
    loaded = {
      contents,
      stamp,
      baseBytes: row?.base.length ?? 0,
      delta: since ?? { entries: new Map(), folders: new Map() },
      // a delta that does not extend this base was written beside another writer's new base: the token
      // belongs to one of the two, so the records cannot vouch for it
      token: record && typeof t === "string" && (!row?.delta || since) ? t : null,
    };
    keep(loaded);
    return loaded;
  };
  /** kept while a token vouches for it; a failed write must not leave a half-applied copy kept */
  const keep = (l: Loaded): void => {
    if (key === null) return;
    if (l.token === null) resident.delete(key);
    else resident.set(key, l);
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
  });
  const commit = (l: Loaded, record: Buffer, base: boolean, next: string | null): void => {
    write.immediate(record, base, next);
    l.token = next;
    keep(l);
  };
  const compact = (l: Loaded, next: string | null): void => {
    const stamp = randomBytes(STAMP_BYTES);
    const base = encodeStatCache(l.contents.entries, l.contents.folders, stamp);
    l.stamp = stamp;
    l.baseBytes = base.length;
    l.delta = { entries: new Map(), folders: new Map() };
    commit(l, base, true, next);
  };
  return {
    load: () => guarded(() => read().contents.entries),
    loadFolders: () => guarded(() => read().contents.folders),
    monitorToken: () => guarded(() => read().token),
    advanceMonitorToken: (next: string) =>
      guarded(() => {
        const l = read();
        if (l.token === null) return;
        const moved = advance.run(next, workspace, l.token).changes === 1;
        l.token = next;
        // another writer's records since: this copy is not theirs
        if (moved) keep(l);
        else if (key !== null) resident.delete(key);
      }),
    save: (
      changed: Map<string, StatEntry>,
      removed: string[],
      folders?: Map<string, CachedFolder>,
      monitorToken?: string,
    ) =>
      guarded(() => {
        const next = monitorToken ?? null;
        const l = read();
        if (key !== null) resident.delete(key); // kept again once the write has committed
        const c = l.contents;
        const delta = l.delta;
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
          return compact(l, next);
        }
        for (const [path, f] of folders) {
          const before = c.folders.get(path);
          if (!before || before.hash !== f.hash || before.files !== f.files || before.dirs !== f.dirs)
            delta.folders.set(path, f);
        }
        for (const path of c.folders.keys()) if (!folders.has(path)) delta.folders.set(path, null);
        c.folders = folders;
        if (!l.stamp) return compact(l, next);
        const record = encodeStatDelta(l.stamp, delta);
        if (record.length > l.baseBytes * COMPACT_ABOVE) return compact(l, next);
        commit(l, record, false, next);
      }),
  };
}
