/**
 * The stat cache of one workspace as two compact records, read in one call: a base (every file and
 * folder) and a delta (what changed since the base), so that a small change writes a small record. 100,000
 * files cost one base row of ~13 MB instead of 100,000 rows (loading the rows one by one was ~160 ms of a
 * 100,000-file deploy), and a one-file change rewrites a delta of a few hundred bytes instead of that base.
 * The records also hold the cached tree objects (stat-cache.ts, `CachedFolder`), so the two are always
 * saved together, which is what makes a cached tree trustworthy.
 *
 * Layout (all integers u32 little-endian, strings UTF-8 unless said):
 *   base:  "CXS2", stamp (16 bytes), file count, files, folder count, folders
 *   delta: "CXD1", the stamp of the base it applies to, file count, files or removals, folder count,
 *          folders or removals
 *   file:   path length, path, [delta: u8 1 = present, 0 = removed, nothing more], fingerprint length,
 *           fingerprint (ASCII), clean (u8), hash (32 bytes)
 *   folder: path length, path, [delta: u8 as above], hash (32 bytes), files, dirs length, dirs, tree length,
 *           tree object bytes
 * The stamp ties a delta to its base: a base written anew (a compaction, or an older client that knows no
 * delta and writes "CXS1", whose stamp reads as none) gets a new stamp, so a delta of an earlier base is
 * never applied to it. A record that does not parse (another version, a torn write) reads as an empty cache
 * (a base) or as no delta: everything is hashed again, which is slow but never wrong.
 */
import type { CachedFolder, StatEntry } from "./stat-cache.js";

const BASE = Buffer.from("CXS2", "latin1");
const LEGACY_BASE = Buffer.from("CXS1", "latin1");
const DELTA = Buffer.from("CXD1", "latin1");
export const STAMP_BYTES = 16;

export interface StatCacheContents {
  entries: Map<string, StatEntry>;
  folders: Map<string, CachedFolder>;
  /** the base's stamp; null for a base that no delta may extend (no stamp, or an older layout) */
  stamp?: Buffer | null;
}

/** What changed since a base: null marks a removed file or folder. */
export interface StatCacheDelta {
  entries: Map<string, StatEntry | null>;
  folders: Map<string, CachedFolder | null>;
}

export function encodeStatCache(
  entries: ReadonlyMap<string, StatEntry>,
  folders: ReadonlyMap<string, CachedFolder>,
  /** ties later deltas to this base; without it, no delta is ever applied to the base */
  stamp: Buffer = Buffer.alloc(STAMP_BYTES),
): Buffer {
  return encodeRecord(BASE, stamp, entries, folders, false);
}

/** The base's contents, or undefined when it is not a base of this layout (read as an empty cache). */
export function decodeStatCache(buf: Buffer): StatCacheContents | undefined {
  const legacy = buf.subarray(0, LEGACY_BASE.length).equals(LEGACY_BASE);
  const read = decodeRecord(buf, legacy ? LEGACY_BASE : BASE, legacy ? 0 : STAMP_BYTES, false);
  if (!read) return undefined;
  const stamp = read.stamp.length === STAMP_BYTES && read.stamp.some((b) => b !== 0) ? read.stamp : null;
  return {
    entries: read.entries as Map<string, StatEntry>,
    folders: read.folders as Map<string, CachedFolder>,
    stamp,
  };
}

export function encodeStatDelta(stamp: Buffer, delta: StatCacheDelta): Buffer {
  return encodeRecord(DELTA, stamp, delta.entries, delta.folders, true);
}

/** The delta, if `buf` is one that applies to the base stamped `stamp`; else undefined (ignored). */
export function decodeStatDelta(buf: Buffer, stamp: Buffer): StatCacheDelta | undefined {
  const read = decodeRecord(buf, DELTA, STAMP_BYTES, true);
  return read && read.stamp.equals(stamp) ? { entries: read.entries, folders: read.folders } : undefined;
}

/** Applies a delta to a base's contents, in place. */
export function applyStatDelta(contents: StatCacheContents, delta: StatCacheDelta): void {
  for (const [path, e] of delta.entries) {
    if (e) contents.entries.set(path, e);
    else contents.entries.delete(path);
  }
  for (const [path, f] of delta.folders) {
    if (f) contents.folders.set(path, f);
    else contents.folders.delete(path);
  }
}

function encodeRecord(
  magic: Buffer,
  stamp: Buffer,
  entries: ReadonlyMap<string, StatEntry | null>,
  folders: ReadonlyMap<string, CachedFolder | null>,
  tagged: boolean,
): Buffer {
  const tag = tagged ? 1 : 0;
  let size = magic.length + stamp.length + 8;
  for (const [path, e] of entries)
    size += 4 + Buffer.byteLength(path) + tag + (e ? 4 + e.fingerprint.length + 1 + 32 : 0);
  for (const [path, f] of folders)
    size +=
      4 +
      Buffer.byteLength(path) +
      tag +
      (f ? 32 + 4 + 4 + Buffer.byteLength(f.dirs) + 4 + f.bytes.length : 0);
  const buf = Buffer.allocUnsafe(size);
  let pos = magic.copy(buf, 0);
  pos += stamp.copy(buf, pos);
  const str = (s: string, encoding: "utf8" | "latin1"): void => {
    const n = buf.write(s, pos + 4, encoding);
    buf.writeUInt32LE(n, pos);
    pos += 4 + n;
  };
  buf.writeUInt32LE(entries.size, pos);
  pos += 4;
  for (const [path, e] of entries) {
    str(path, "utf8");
    if (tagged) buf[pos++] = e ? 1 : 0;
    if (!e) continue;
    str(e.fingerprint, "latin1");
    buf[pos++] = e.clean ? 1 : 0;
    pos += buf.write(e.hash, pos, 32, "hex");
  }
  buf.writeUInt32LE(folders.size, pos);
  pos += 4;
  for (const [path, f] of folders) {
    str(path, "utf8");
    if (tagged) buf[pos++] = f ? 1 : 0;
    if (!f) continue;
    pos += buf.write(f.hash, pos, 32, "hex");
    buf.writeUInt32LE(f.files, pos);
    pos += 4;
    str(f.dirs, "utf8");
    buf.writeUInt32LE(f.bytes.length, pos);
    pos += 4 + f.bytes.copy(buf, pos + 4);
  }
  return pos === size ? buf : buf.subarray(0, pos);
}

function decodeRecord(
  buf: Buffer,
  magic: Buffer,
  stampBytes: number,
  tagged: boolean,
): ({ stamp: Buffer } & StatCacheDelta) | undefined {
  const entries = new Map<string, StatEntry | null>();
  const folders = new Map<string, CachedFolder | null>();
  if (buf.length < magic.length + stampBytes + 8 || !buf.subarray(0, magic.length).equals(magic))
    return undefined;
  const stamp = buf.subarray(magic.length, magic.length + stampBytes);
  let pos = magic.length + stampBytes;
  const u32 = (): number => {
    if (pos + 4 > buf.length) throw new RangeError("truncated");
    const n = buf.readUInt32LE(pos);
    pos += 4;
    return n;
  };
  const take = (n: number): number => {
    const at = pos;
    if (at + n > buf.length) throw new RangeError("truncated");
    pos += n;
    return at;
  };
  const str = (encoding: "utf8" | "latin1"): string => {
    const n = u32();
    const at = take(n);
    return buf.toString(encoding, at, at + n);
  };
  const hash = (): string => {
    const at = take(32);
    return buf.toString("hex", at, at + 32);
  };
  const present = (): boolean => !tagged || buf[take(1)] === 1;
  try {
    for (let i = u32(); i > 0; i--) {
      const path = str("utf8");
      if (!present()) {
        entries.set(path, null);
        continue;
      }
      const fingerprint = str("latin1");
      const clean = buf[take(1)] === 1;
      entries.set(path, { fingerprint, hash: hash(), clean });
    }
    for (let i = u32(); i > 0; i--) {
      const path = str("utf8");
      if (!present()) {
        folders.set(path, null);
        continue;
      }
      const h = hash();
      const files = u32();
      const dirs = str("utf8");
      const n = u32();
      const at = take(n);
      folders.set(path, { hash: h, files, dirs, bytes: buf.subarray(at, at + n) });
    }
  } catch {
    return undefined;
  }
  return pos === buf.length ? { stamp, entries, folders } : undefined;
}
