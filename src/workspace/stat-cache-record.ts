/**
 * The stat cache of one workspace as one compact record, read and written in one call: 100,000 files cost
 * one row of ~13 MB instead of 100,000 rows (loading the rows one by one was ~160 ms of a 100,000-file
 * deploy). The record also holds the cached tree objects (stat-cache.ts, `CachedFolder`), so the two are
 * always saved together, which is what makes a cached tree trustworthy.
 *
 * Layout (all integers u32 little-endian, strings UTF-8 unless said):
 *   "CXS1"
 *   file count, then per file: path length, path, fingerprint length, fingerprint (ASCII), clean (u8),
 *     hash (32 bytes)
 *   folder count, then per folder: path length, path, hash (32 bytes), files, dirs length, dirs,
 *     tree length, tree object bytes
 * A record that does not parse (another version, a torn write) reads as an empty cache: everything is hashed
 * again, which is slow but never wrong.
 */
import type { CachedFolder, StatEntry } from "./stat-cache.js";

const MAGIC = Buffer.from("CXS1", "latin1");

export interface StatCacheContents {
  entries: Map<string, StatEntry>;
  folders: Map<string, CachedFolder>;
}

export function encodeStatCache(
  entries: ReadonlyMap<string, StatEntry>,
  folders: ReadonlyMap<string, CachedFolder>,
): Buffer {
  let size = MAGIC.length + 8;
  for (const [path, e] of entries) size += 4 + Buffer.byteLength(path) + 4 + e.fingerprint.length + 1 + 32;
  for (const [path, f] of folders)
    size += 4 + Buffer.byteLength(path) + 32 + 4 + 4 + Buffer.byteLength(f.dirs) + 4 + f.bytes.length;
  const buf = Buffer.allocUnsafe(size);
  let pos = MAGIC.copy(buf, 0);
  const str = (s: string, encoding: "utf8" | "latin1"): void => {
    const n = buf.write(s, pos + 4, encoding);
    buf.writeUInt32LE(n, pos);
    pos += 4 + n;
  };
  buf.writeUInt32LE(entries.size, pos);
  pos += 4;
  for (const [path, e] of entries) {
    str(path, "utf8");
    str(e.fingerprint, "latin1");
    buf[pos++] = e.clean ? 1 : 0;
    pos += buf.write(e.hash, pos, 32, "hex");
  }
  buf.writeUInt32LE(folders.size, pos);
  pos += 4;
  for (const [path, f] of folders) {
    str(path, "utf8");
    pos += buf.write(f.hash, pos, 32, "hex");
    buf.writeUInt32LE(f.files, pos);
    pos += 4;
    str(f.dirs, "utf8");
    buf.writeUInt32LE(f.bytes.length, pos);
    pos += 4 + f.bytes.copy(buf, pos + 4);
  }
  return pos === size ? buf : buf.subarray(0, pos);
}

/** The record's contents, or undefined when it is not a record of this layout (read as an empty cache). */
export function decodeStatCache(buf: Buffer): StatCacheContents | undefined {
  const entries = new Map<string, StatEntry>();
  const folders = new Map<string, CachedFolder>();
  if (buf.length < MAGIC.length + 8 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  let pos = MAGIC.length;
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
  try {
    for (let i = u32(); i > 0; i--) {
      const path = str("utf8");
      const fingerprint = str("latin1");
      const clean = buf[take(1)] === 1;
      entries.set(path, { fingerprint, hash: hash(), clean });
    }
    for (let i = u32(); i > 0; i--) {
      const path = str("utf8");
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
  return pos === buf.length ? { entries, folders } : undefined;
}
