/**
 * What the scanner needs from a stat cache, and the rule that decides whether a cached hash can be trusted.
 * A file whose size, mtime (ns), ctime (ns) and inode are unchanged is not read again, unless it is
 * "racily clean": changed within the same timestamp tick as the moment it was hashed, so that a later
 * write in that tick would leave every stat field as it was (git's racy-git problem). Such entries are
 * re-hashed until their mtime is safely older than the hash.
 */
export interface StatEntry {
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
  hash: string;
  /** wall-clock time (ns) taken just before the file was read for hashing */
  hashedAtNs: bigint;
}

export interface StatCachePort {
  /** every entry of this workspace, by workspace path */
  load(): Map<string, StatEntry>;
  /** replaces the changed entries and drops the vanished ones, in one transaction */
  save(changed: Map<string, StatEntry>, removed: string[]): void;
}

/**
 * File timestamps on Linux come from a coarse clock (one jiffy, up to 10 ms behind), and file systems such
 * as FAT, HFS+ or ext3 keep whole seconds (2 s on FAT). A timestamp with no sub-second part means the coarse
 * kind, so the margin widens to cover it.
 */
const FINE_TICK_NS = 20_000_000n; // 20 ms
const COARSE_TICK_NS = 2_000_000_000n; // 2 s

export function isCacheHit(
  entry: StatEntry | undefined,
  stat: { size: bigint; mtimeNs: bigint; ctimeNs: bigint; ino: bigint },
): entry is StatEntry {
  if (!entry) return false;
  if (entry.size !== stat.size || entry.mtimeNs !== stat.mtimeNs) return false;
  if (entry.ctimeNs !== stat.ctimeNs || entry.ino !== stat.ino) return false;
  const changedAt = stat.mtimeNs > stat.ctimeNs ? stat.mtimeNs : stat.ctimeNs;
  const tick = changedAt % 1_000_000_000n === 0n ? COARSE_TICK_NS : FINE_TICK_NS;
  return changedAt + tick < entry.hashedAtNs;
}

export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}
