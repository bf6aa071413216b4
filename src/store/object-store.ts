/**
 * Content-addressed object store: `objects/ab/cdef…` holds the bytes whose SHA-256 is `abcdef…`, read-only.
 * Blobs and tree objects live side by side (a tree object is the byte string its hash is computed over).
 * The set of held hashes is kept in memory: negotiation asks about every object of a workspace, and a Set
 * lookup (~50 ns) beats an existsSync (~3 µs) by 60x at 100,000 hashes.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";
import { objectPath } from "./data-dir.js";

export class ObjectStore {
  private readonly held = new Set<string>();
  private readonly prefixes = new Set<string>();

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    for (const prefix of readdirSync(dir)) {
      if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
      for (const rest of readdirSync(join(dir, prefix))) {
        if (/^[0-9a-f]{62}$/.test(rest)) this.held.add(prefix + rest);
      }
    }
  }

  get size(): number {
    return this.held.size;
  }

  has(hash: string): boolean {
    return this.held.has(hash);
  }

  pathOf(hash: string): string {
    return objectPath(this.dir, hash);
  }

  sizeOf(hash: string): number {
    return statSync(this.pathOf(hash)).size;
  }

  read(hash: string): Buffer {
    return readFileSync(this.pathOf(hash));
  }

  /**
   * Moves a verified file into the store. The file must already be read-only (0444): receive-pack.ts creates
   * them so, which saves a chmod per object. The caller has checked that its content hashes to `hash`, and
   * makes it durable (one syncfs or fsyncs for the whole batch) before anything references it.
   */
  adopt(tmpFile: string, hash: string): string {
    const target = this.pathOf(hash);
    if (this.held.has(hash) && existsSync(target)) return target;
    // one mkdir per fan-out folder per process, not per object (10,000 objects: 10,000 syscalls saved)
    const prefix = hash.slice(0, 2);
    if (!this.prefixes.has(prefix)) {
      mkdirSync(join(this.dir, prefix), { recursive: true });
      this.prefixes.add(prefix);
    }
    renameSync(tmpFile, target);
    this.held.add(hash);
    return target;
  }

  /** All held hashes (for garbage collection). */
  hashes(): IterableIterator<string> {
    return this.held.values();
  }

  forget(hash: string): void {
    this.held.delete(hash);
  }
}
