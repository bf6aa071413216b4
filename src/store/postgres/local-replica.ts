/**
 * A replica's own data dir when the deployment state lives in PostgreSQL: `objects/` (a cache of the shared
 * objects this replica has needed, files named by hash as in the file store, so trees are hard-linked, not
 * copied), `trees/<hash>` (laid-out folders, materialize-tree.ts), `deployments/<id>` (the live tree's name;
 * older ones are removed once replaced), `current`
 * (swapped by rename, exactly as the file store does) and `tmp/`. Nothing here is authoritative: the
 * database is. A lost or empty data dir is rebuilt from the database at start. One `LocalReplica` per
 * workspace: `default`'s at the top level, another one's `deployments/` and `current` under
 * `workspaces/NAME/` (as in the file store); the object cache, `trees/` and `tmp/` are shared by them all.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { CaxtonError } from "../../errors/caxton-error.js";
import { linkDeployment, readCurrentId, swapCurrent } from "../current-link.js";
import { dataDir, deploymentDirName, type DataDir } from "../data-dir.js";
import type { DurabilityPort } from "../durable-fs.js";
import { sweepTrees } from "../sweep-trees.js";
import { materializeTree } from "../materialize-tree.js";
import { adoptDurably, ObjectStore } from "../object-store.js";
import type { PgBlobStore } from "./pg-blob-store.js";
import { DEFAULT_WORKSPACE, type WorkspaceId } from "../deployment-store.js";

/** Objects fetched from the database per query while filling the cache. */
const FETCH_BATCH = 256;
/** Sweep unreachable tree directories once this many were laid out (bounds the disk, amortizes the walk). */
const SWEEP_AFTER_PLACED = 256;

export interface ReplicaSharing {
  workspace: WorkspaceId;
  /** the object cache the replica's other workspaces use already */
  objects?: ObjectStore;
  /** what the other workspaces keep laid out (their live and previous roots): a sweep keeps those too */
  otherRoots?: () => string[];
}

export class LocalReplica {
  readonly dir: DataDir;
  readonly objects: ObjectStore;
  readonly removedLeftovers: string[] = [];
  private fetchSeq = 0;
  /** tree directories laid out since the last sweep; a sweep reads every kept folder, so it waits for many */
  private placedSinceSweep = 0;
  private readonly otherRoots: () => string[];

  constructor(
    root: string,
    readonly durability: DurabilityPort,
    sharing: ReplicaSharing = { workspace: DEFAULT_WORKSPACE },
  ) {
    this.dir = dataDir(root, sharing.workspace);
    this.otherRoots = sharing.otherRoots ?? (() => []);
    for (const d of [this.dir.root, this.dir.objects, this.dir.deployments, this.dir.trees, this.dir.tmp]) {
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
    // the temp dir is shared: only the first replica (at start, before any transaction) empties it
    if (!sharing.objects) {
      for (const name of readdirSync(this.dir.tmp)) {
        rmSync(join(this.dir.tmp, name), { recursive: true, force: true });
        this.removedLeftovers.push(`tmp/${name}`);
      }
    }
    rmSync(this.dir.currentTmp, { force: true });
    this.objects = sharing.objects ?? new ObjectStore(this.dir.objects);
  }

  /** The roots this workspace keeps laid out: its live deployment's and the one before. */
  liveRoots(): string[] {
    const roots: string[] = [];
    for (const name of readdirSync(this.dir.deployments)) {
      const id = Number.parseInt(name, 10);
      const root = Number.isSafeInteger(id) ? this.rootOf(id) : null;
      if (root !== null) roots.push(root);
    }
    return roots;
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
    adoptDurably(this.objects, this.durability, this.dir.root, files);
  }

  /**
   * Lays out the folders of a deployment's tree not laid out yet (materialize-tree.ts; placed in `trees/`,
   * which is content-addressed, so placing them before the database commits is harmless); `goLive` then names
   * the tree `deployments/<id>` and swaps `current` to it. Split so that the database commits in between.
   */
  stage(
    id: number,
    root: string,
    manifest: ReadonlyMap<string, string>,
    trees?: ReadonlyMap<string, Buffer>,
  ): { discard(): void } {
    const staging = join(this.dir.tmp, `tree-${deploymentDirName(id)}-${process.pid}`);
    rmSync(staging, { recursive: true, force: true });
    try {
      const placed = materializeTree(
        { trees: this.dir.trees, staging, root: this.dir.root },
        root,
        manifest,
        this.objects,
        this.durability,
        {
          trees,
          step: (name) => {
            // "synced" is the database's step here (pg-workspace.ts)
            if (name === "tree-staged") this.durability.step(name);
          },
        },
      );
      this.placedSinceSweep += placed.length;
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
    return { discard: () => {} };
  }

  /**
   * Names a staged tree `deployments/<id>` and swaps `current` to it (the one atomic step); drops older
   * deployments, and now and then the laid-out folders neither of the two kept ones reaches.
   */
  goLive(id: number, root: string): void {
    linkDeployment(this.dir, id, root, this.durability);
    const previous = this.currentId();
    swapCurrent(this.dir, id, this.durability);
    // the tree just replaced stays one more swap, for readers that resolved `current` a moment ago
    const keep = new Set([deploymentDirName(id), previous === null ? "" : deploymentDirName(previous)]);
    for (const name of readdirSync(this.dir.deployments)) {
      if (!keep.has(name)) rmSync(join(this.dir.deployments, name), { recursive: true, force: true });
    }
    if (this.placedSinceSweep < SWEEP_AFTER_PLACED) return;
    const roots = [root];
    const before = previous === null ? null : this.rootOf(previous);
    if (before !== null) roots.push(before);
    sweepTrees(this.dir.trees, this.dir.tmp, [...roots, ...this.otherRoots()]);
    this.placedSinceSweep = 0;
  }

  /** The root tree a laid-out deployment names, or null when it is not a tree link. */
  private rootOf(id: number): string | null {
    try {
      return basename(readlinkSync(join(this.dir.deployments, deploymentDirName(id))));
    } catch {
      return null;
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
