/**
 * A replica's own data dir when the deployment state lives in PostgreSQL: `objects/` (a cache of the shared
 * objects this replica has needed, files named by hash as in the file store, so trees are hard-linked, not
 * copied), `deployments/<id>` (the materialized live tree; older ones are removed once replaced), `current`
 * (swapped by rename, exactly as the file store does) and `tmp/`. Nothing here is authoritative: the
 * database is. A lost or empty data dir is rebuilt from the database at start.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CaxtonError } from "../../errors/caxton-error.js";
import { readCurrentId, swapCurrent } from "../current-link.js";
import { dataDir, deploymentDirName, type DataDir } from "../data-dir.js";
import { FSYNC_BATCH_THRESHOLD, type DurabilityPort } from "../durable-fs.js";
import { materializeTree } from "../materialize-tree.js";
import { ObjectStore } from "../object-store.js";
import type { PgBlobStore } from "./pg-blob-store.js";

/** Objects fetched from the database per query while filling the cache. */
const FETCH_BATCH = 256;

export class LocalReplica {
  readonly dir: DataDir;
  readonly objects: ObjectStore;
  readonly removedLeftovers: string[] = [];
  private fetchSeq = 0;

  constructor(
    root: string,
    readonly durability: DurabilityPort,
  ) {
    this.dir = dataDir(root);
    for (const d of [this.dir.root, this.dir.objects, this.dir.deployments, this.dir.tmp]) {
      mkdirSync(d, { recursive: true });
    }
    // leftovers of an interrupted transaction or materialization, and trees replaced before a restart:
    // only `current`'s tree is kept
    const live = this.currentId();
    for (const name of readdirSync(this.dir.deployments)) {
      if (live !== null && name === deploymentDirName(live)) continue;
      rmSync(join(this.dir.deployments, name), { recursive: true, force: true });
      this.removedLeftovers.push(`deployments/${name}`);
    }
    for (const name of readdirSync(this.dir.tmp)) {
      rmSync(join(this.dir.tmp, name), { recursive: true, force: true });
      this.removedLeftovers.push(`tmp/${name}`);
    }
    rmSync(this.dir.currentTmp, { force: true });
    this.objects = new ObjectStore(this.dir.objects);
  }

  currentId(): number | null {
    return readCurrentId(this.dir);
  }

  /** Copies the objects of `hashes` that the cache lacks from the shared store, verified and durably. */
  async fill(hashes: Iterable<string>, shared: PgBlobStore): Promise<void> {
    const lacking = [...new Set(hashes)].filter((h) => !this.objects.has(h));
    if (lacking.length === 0) return;
    const staging = join(this.dir.tmp, `fetch-${process.pid}-${++this.fetchSeq}`);
    mkdirSync(staging, { recursive: true });
    try {
      const files = new Map<string, string>();
      for (let i = 0; i < lacking.length; i += FETCH_BATCH) {
        const batch = lacking.slice(i, i + FETCH_BATCH);
        const found = await shared.readMany(batch);
        for (const hash of batch) {
          const bytes = found.get(hash);
          if (!bytes) {
            throw new CaxtonError(
              "E_INTERNAL",
              `the database lacks object ${hash} of a committed deployment`,
            );
          }
          if (createHash("sha256").update(bytes).digest("hex") !== hash) {
            throw new CaxtonError("E_INTERNAL", `object ${hash} in the database does not match its hash`);
          }
          const file = join(staging, hash);
          writeFileSync(file, bytes, { mode: 0o444 });
          files.set(hash, file);
        }
      }
      this.adopt(files);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }

  /** Moves verified, read-only files into the cache, durable first (as the file store adopts objects). */
  adopt(files: ReadonlyMap<string, string>): void {
    if (files.size === 0) return;
    if (files.size > FSYNC_BATCH_THRESHOLD) this.durability.syncFilesystem(this.dir.root);
    else for (const file of files.values()) this.durability.fsyncFile(file);
    for (const [hash, file] of files) this.objects.adopt(file, hash);
  }

  /**
   * Lays a deployment's tree out under tmp and makes it durable; `place` then moves it to `deployments/<id>`
   * and `swap` makes it live. Split so that the database commits between staging and the swap.
   */
  stage(id: number, manifest: ReadonlyMap<string, string>): { staged: string; discard(): void } {
    const staged = join(this.dir.tmp, `tree-${deploymentDirName(id)}-${process.pid}`);
    rmSync(staged, { recursive: true, force: true });
    const discard = (): void => rmSync(staged, { recursive: true, force: true });
    try {
      const dirs = materializeTree(staged, manifest, this.objects);
      if (dirs.length <= FSYNC_BATCH_THRESHOLD) {
        for (const d of dirs.reverse()) this.durability.fsyncDir(join(staged, d));
      } else {
        this.durability.syncFilesystem(this.dir.root);
      }
      this.durability.step("tree-staged");
    } catch (err) {
      discard();
      throw err;
    }
    return { staged, discard };
  }

  /** Moves a staged tree into place and swaps `current` to it (the one atomic step); drops older trees. */
  goLive(id: number, staged: string): void {
    const final = join(this.dir.deployments, deploymentDirName(id));
    rmSync(final, { recursive: true, force: true });
    renameSync(staged, final);
    this.durability.fsyncDir(this.dir.deployments);
    const previous = this.currentId();
    swapCurrent(this.dir, id, this.durability);
    // the tree just replaced stays one more swap, for readers that resolved `current` a moment ago
    const keep = new Set([deploymentDirName(id), previous === null ? "" : deploymentDirName(previous)]);
    for (const name of readdirSync(this.dir.deployments)) {
      if (!keep.has(name)) rmSync(join(this.dir.deployments, name), { recursive: true, force: true });
    }
  }

  /** Removes the local trees of deployments that were pruned (never `current`'s). */
  dropTrees(ids: Iterable<number>): void {
    const live = this.currentId();
    for (const id of ids) {
      if (id !== live)
        rmSync(join(this.dir.deployments, deploymentDirName(id)), { recursive: true, force: true });
    }
  }

  /** Drops cached objects the shared store no longer holds (after garbage collection). */
  forget(hashes: Iterable<string>): void {
    for (const hash of hashes) {
      if (!this.objects.has(hash)) continue;
      rmSync(this.objects.pathOf(hash), { force: true });
      this.objects.forget(hash);
    }
  }
}
