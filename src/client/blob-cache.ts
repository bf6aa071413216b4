/**
 * A local content cache of delta bases: `$CAXTON_STATE_DIR/blobs/<sha256>`, one file per content.
 *
 * Why it exists: a modified file travels as a delta against the version the server holds at its path, which
 * the client knows by hash from its last deployment's manifest (deployed_files). But by the time the user
 * deploys, the workspace holds the new content; the old bytes are gone unless we kept them. So after each
 * successful deploy, the content of the files it added or modified is copied here, and the next deploy reads
 * its bases from here. Everything is checked: a copy is stored only if it hashes to its name, and a base is
 * re-hashed before use, so a damaged cache costs a whole-content upload, never a wrong deploy.
 *
 * What is kept: only files a delta can use (isDeltaEligible: 10 KiB to 32 MiB; smaller files gain nothing,
 * larger ones are sent whole and streamed, since patch-from holds base and target in memory). Bounded at
 * 256 MiB in total, least recently used first out (an entry's mtime is bumped when it is stored or read, as
 * atime is unreliable under noatime/relatime): that is at least 8 bases at the 32 MiB maximum, and in practice
 * every eligible file of a configuration workspace, without letting the state dir grow with each deploy. The
 * cache is keyed by content, so it is shared by every workspace and server of this user, and it can always be
 * deleted: the only cost is whole-content uploads until it refills.
 *
 * Failures (disk full, permissions, a concurrent `caxton deploy` evicting the same entry) are ignored: the
 * cache is an optimisation and must never fail a deploy.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { DELTA_MAX_BYTES, DELTA_MIN_TARGET_BYTES } from "../delta/delta-policy.js";
import { stateDir } from "./state-dir.js";

export const BLOB_CACHE_BUDGET_BYTES = 256 * 1024 * 1024;

const HASH = /^[0-9a-f]{64}$/;
const CHUNK = 1024 * 1024;
/** Leftover temp files of a crashed copy are removed after this long. */
const STALE_TMP_MS = 60 * 60 * 1000;

export interface CacheableFile {
  hash: string;
  size: number;
  absPath: string;
}

export class BlobCache {
  constructor(
    readonly dir: string = join(stateDir(), "blobs"),
    readonly budgetBytes: number = BLOB_CACHE_BUDGET_BYTES,
  ) {}

  /** Whether content of this size is worth keeping: it could be a delta base (see isDeltaEligible). */
  static cacheable(size: number): boolean {
    return size >= DELTA_MIN_TARGET_BYTES && size <= DELTA_MAX_BYTES;
  }

  /** The size of a cached content, or undefined if it is not cached. */
  sizeOf(hash: string): number | undefined {
    if (!HASH.test(hash)) return undefined;
    try {
      return statSync(this.pathOf(hash)).size;
    } catch {
      return undefined;
    }
  }

  /** A cached content, verified against its hash; undefined if absent or damaged (a damaged entry is removed). */
  read(hash: string): Buffer | undefined {
    if (!HASH.test(hash)) return undefined;
    const path = this.pathOf(hash);
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch {
      return undefined;
    }
    if (createHash("sha256").update(bytes).digest("hex") !== hash) {
      rmSync(path, { force: true });
      return undefined;
    }
    this.touch(hash);
    return bytes;
  }

  /**
   * Copies these files in (those not cached yet and cacheable), at most the budget's worth in one call, then
   * evicts the least recently used entries beyond the budget. A file whose content no longer hashes to its
   * hash (edited since the scan) is skipped.
   */
  store(files: Iterable<CacheableFile>): void {
    try {
      let added = 0;
      const kept = new Set<string>();
      for (const f of files) {
        if (!BlobCache.cacheable(f.size) || kept.has(f.hash)) continue;
        if (added + f.size > this.budgetBytes) break;
        if (this.touch(f.hash) || this.copyIn(f)) {
          kept.add(f.hash);
          added += f.size;
        }
      }
      if (kept.size > 0) this.evict(kept);
    } catch {
      // an optimisation only: see the file comment
    }
  }

  private pathOf(hash: string): string {
    return join(this.dir, hash);
  }

  /** Marks an entry as just used; false if it is not cached. */
  private touch(hash: string): boolean {
    try {
      const now = new Date();
      utimesSync(this.pathOf(hash), now, now);
      return true;
    } catch {
      return false;
    }
  }

  private copyIn(f: CacheableFile): boolean {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = join(this.dir, `.tmp-${process.pid}-${randomBytes(6).toString("hex")}`);
    let ok = false;
    try {
      const digest = createHash("sha256");
      const src = openSync(f.absPath, "r");
      try {
        const dst = openSync(tmp, "wx", 0o600);
        try {
          const buf = Buffer.allocUnsafe(Math.min(CHUNK, f.size + 1));
          let total = 0;
          for (;;) {
            const n = readSync(src, buf, 0, buf.length, null);
            if (n === 0) break;
            total += n;
            if (total > f.size) return false; // grew since the scan
            digest.update(buf.subarray(0, n));
            writeSync(dst, buf, 0, n);
          }
          if (total !== f.size || digest.digest("hex") !== f.hash) return false;
        } finally {
          closeSync(dst);
        }
      } finally {
        closeSync(src);
      }
      renameSync(tmp, this.pathOf(f.hash));
      ok = true;
      return true;
    } catch {
      return false;
    } finally {
      if (!ok) rmSync(tmp, { force: true });
    }
  }

  /** Removes the least recently used entries until the total is within the budget; `keep` stays. */
  private evict(keep: ReadonlySet<string>): void {
    const entries: { name: string; size: number; mtimeMs: number }[] = [];
    let total = 0;
    const now = Date.now();
    for (const name of readdirSync(this.dir)) {
      let st;
      try {
        st = statSync(join(this.dir, name));
      } catch {
        continue; // removed meanwhile by another deploy
      }
      if (name.startsWith(".tmp-")) {
        if (now - st.mtimeMs > STALE_TMP_MS) rmSync(join(this.dir, name), { force: true });
        continue;
      }
      if (!HASH.test(name)) continue;
      entries.push({ name, size: st.size, mtimeMs: st.mtimeMs });
      total += st.size;
    }
    if (total <= this.budgetBytes) return;
    entries.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const e of entries) {
      if (total <= this.budgetBytes) break;
      if (keep.has(e.name)) continue;
      rmSync(join(this.dir, e.name), { force: true });
      total -= e.size;
    }
  }
}
