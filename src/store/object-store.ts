/**
 * Content-addressed object store: `objects/ab/cdef…` holds the bytes whose SHA-256 is `abcdef…`, read-only.
 * Blobs and tree objects live side by side (a tree object is the byte string its hash is computed over).
 * The set of held hashes is kept in memory: negotiation asks about every object of a workspace, and a Set
 * lookup (~50 ns) beats an existsSync (~3 µs) by 60x at 100,000 hashes.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { objectPath } from "./data-dir.js";
import { makeDurable, type DurabilityPort } from "./durable-fs.js";

export class ObjectStore {
  private readonly held = new Set<string>();
  private readonly prefixes = new Set<string>();

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    for (const prefix of readdirSync(dir)) {
      if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
      this.prefixes.add(prefix);
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
   * Moves verified files into the store. Each must already be read-only (0444; receive-pack.ts creates them
   * so, which saves a chmod per object), hash to its name (the caller checked) and be durable. A folder laid
   * out as the store is (`…/ab/cdef…`, receive-pack.ts) whose every entry is adopted here moves whole, in one
   * rename, when the store has no `ab/` yet: a first deploy renames at most 256 folders instead of one file
   * per object. Other files move one by one. Adopting a held hash is a no-op (its file stays where it is).
   * Returns the folders whose entries changed, which the caller makes durable (`fsyncDir`).
   */
  adoptAll(files: ReadonlyMap<string, string>): string[] {
    const touched = new Set<string>();
    const folders = new Map<string, [string, string][]>();
    for (const [hash, file] of files) {
      if (this.held.has(hash)) continue;
      const folder = dirname(file);
      const laidOut = basename(folder) === hash.slice(0, 2) && basename(file) === hash.slice(2);
      const key = laidOut ? folder : "";
      let group = folders.get(key);
      if (!group) folders.set(key, (group = []));
      group.push([hash, file]);
    }
    for (const [folder, group] of folders) {
      if (folder !== "" && this.adoptFolder(folder, group)) {
        touched.add(this.dir).add(join(this.dir, basename(folder)));
        continue;
      }
      for (const [hash, file] of group) {
        const prefix = hash.slice(0, 2);
        // one mkdir per fan-out folder per process, not per object (10,000 objects: 10,000 syscalls saved)
        if (!this.prefixes.has(prefix)) {
          mkdirSync(join(this.dir, prefix), { recursive: true });
          this.prefixes.add(prefix);
          touched.add(this.dir);
        }
        renameSync(file, this.pathOf(hash));
        this.held.add(hash);
        touched.add(join(this.dir, prefix));
      }
    }
    return [...touched];
  }

  /** Renames a received fan-out folder into the store when the store lacks it and every entry is adopted. */
  private adoptFolder(folder: string, group: readonly [string, string][]): boolean {
    const prefix = basename(folder);
    if (this.prefixes.has(prefix) || readdirSync(folder).length !== group.length) return false;
    try {
      renameSync(folder, join(this.dir, prefix));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EEXIST" || code === "ENOTEMPTY") return false;
      throw err;
    }
    this.prefixes.add(prefix);
    for (const [hash] of group) this.held.add(hash);
    return true;
  }

  /** All held hashes (for garbage collection). */
  hashes(): IterableIterator<string> {
    return this.held.values();
  }

  forget(hash: string): void {
    this.held.delete(hash);
  }
}

/**
 * Makes files durable (makeDurable: an fsync each, or one syncfs for a large batch), adopts them, then
 * fsyncs once each folder whose entries the adoption changed: an object is never visible under its hash
 * before its bytes are on disk, and its name is durable before anything references it.
 */
export function adoptDurably(
  objects: ObjectStore,
  durability: DurabilityPort,
  root: string,
  files: ReadonlyMap<string, string>,
): void {
  if (files.size === 0) return;
  makeDurable(durability, root, [...files.values()], []);
  for (const folder of objects.adoptAll(files)) durability.fsyncDir(folder);
}
