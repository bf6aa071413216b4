/**
 * What the scanner needs from a stat cache, and the rule that decides whether a cached hash can be trusted.
 * A file whose size, mtime (ns), ctime (ns) and inode are unchanged is not read again, unless it is
 * "racily clean": changed within the same timestamp tick as the moment it was hashed, so that a later
 * write in that tick would leave every stat field as it was (git's racy-git problem). Such entries are
 * re-hashed until their mtime is safely older than the hash.
 */
export interface FileStat {
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
}

/**
 * A cached hash. The stat fields are kept as one fingerprint string, and whether the entry is racily
 * clean is decided once, when it is written (it depends only on the stat and the moment of hashing):
 * loading 100,000 entries as 4 BigInts each cost ~250 ms and most of the GC of a no-change deploy; as one
 * string and a flag it costs ~40 ms.
 */
export interface StatEntry {
  /** size, mtime ns, ctime ns and inode, as `statFingerprint` writes them */
  fingerprint: string;
  hash: string;
  /** false when the file changed within a timestamp tick of being hashed: never trusted, hashed again */
  clean: boolean;
}

/**
 * A folder's tree object as the last scan built it (git's cache-tree). It is reused, neither re-encoded nor
 * re-hashed, when the folder's entries are the same: every file a stat-cache hit, as many files as then, the
 * same subfolder names, each with the hash recorded here for it. Valid only beside the stat entries saved
 * with it (the same `save`), which are exactly that scan's files.
 */
export interface CachedFolder {
  hash: string;
  /** the tree object (what `hash` is the SHA-256 of) */
  bytes: Buffer;
  /** how many files (blob entries) the folder held */
  files: number;
  /** the names of its subfolders that hold a file, sorted, joined by "/" */
  dirs: string;
}

export interface StatCachePort {
  /** every entry of this workspace, by workspace path */
  load(): Map<string, StatEntry>;
  /**
   * Replaces the changed entries and drops the vanished ones, in one transaction; with `folders`, also
   * replaces the cached tree objects by these (a port without `loadFolders` ignores them).
   */
  save(
    changed: Map<string, StatEntry>,
    removed: string[],
    folders?: Map<string, CachedFolder>,
    monitorToken?: string,
  ): void;
  /** the cached tree objects by folder path ("" is the root), if this port keeps them */
  loadFolders?(): Map<string, CachedFolder>;
  /**
   * The file-system monitor's token (client/fs-monitor-daemon.ts) that the saved entries and folders are
   * current as of: every change since is among the paths the monitor names for it. Saved with them, and
   * dropped by a save without one; null when there is none.
   */
  monitorToken?(): string | null;
  /**
   * Records that the saved state is current as of a later token (nothing changed since): only if no other
   * scan saved meanwhile (whose record the new token might not describe).
   */
  advanceMonitorToken?(next: string): void;
}

/**
 * File timestamps on Linux come from a coarse clock (one jiffy, up to 10 ms behind), and file systems such
 * as FAT, HFS+ or ext3 keep whole seconds (2 s on FAT). A timestamp with no sub-second part means the coarse
 * kind, so the margin widens to cover it.
 */
const FINE_TICK_NS = 20_000_000n; // 20 ms
const COARSE_TICK_NS = 2_000_000_000n; // 2 s

export function statFingerprint(stat: FileStat): string {
  return `${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}:${stat.ino}`;
}

/** The entry to cache for a file of this stat whose content, read from `hashedAtNs` on, hashed to `hash`. */
export function cacheEntry(stat: FileStat, hash: string, hashedAtNs: bigint): StatEntry {
  const changedAt = stat.mtimeNs > stat.ctimeNs ? stat.mtimeNs : stat.ctimeNs;
  const tick = changedAt % 1_000_000_000n === 0n ? COARSE_TICK_NS : FINE_TICK_NS;
  return { fingerprint: statFingerprint(stat), hash, clean: changedAt + tick < hashedAtNs };
}

export function isCacheHit(entry: StatEntry | undefined, stat: FileStat): entry is StatEntry {
  return entry !== undefined && entry.clean && entry.fingerprint === statFingerprint(stat);
}

export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}
