/**
 * Manifests (path → blob hash) of deployment roots, resolved through the store and kept for the few roots
 * a deploy asks about again and again (the live one, its base, a rollback target). Resolving gathers tree
 * objects level by level (a received pack's first, then one batched store read per level) and walks them.
 */
import { readFileSync } from "node:fs";
import { CaxtonError } from "../errors/caxton-error.js";
import type { BlobStore } from "../store/deployment-store.js";
import type { ReceivedPack } from "./receive-pack.js";
import { walkChangedTrees } from "../merkle/walk-changed-trees.js";
import { gatherTrees, walkTree, type WalkLimits } from "../merkle/walk-tree.js";
import { assertSafeFolder } from "../protocol/safe-path.js";

/** Enough for the live root, a base, a rollback target and the deployment being applied. */
const CACHED_MANIFESTS = 4;

export class ManifestCache {
  private readonly manifests = new Map<string, ReadonlyMap<string, string>>();

  constructor(
    private readonly objects: BlobStore,
    private readonly limits: WalkLimits,
  ) {}

  /**
   * A root's manifest and what neither the pack nor the store holds (each hash once). With a base (the
   * live deployment: complete, every object held), only the folders that differ from the base's are read
   * (walk-changed-trees.ts), and `changedPaths` holds every path that may differ from the base.
   */
  async resolve(
    root: string,
    pack: ReceivedPack | null,
    base?: { root: string; manifest: ReadonlyMap<string, string> },
  ): Promise<{ manifest: ReadonlyMap<string, string>; missing: string[]; changedPaths?: Set<string> }> {
    const read = async (hashes: string[]): Promise<Map<string, Uint8Array>> => {
      const found = new Map<string, Uint8Array>();
      const rest: string[] = [];
      for (const hash of hashes) {
        const file = pack?.files.get(hash);
        const bytes = pack?.small.get(hash) ?? (file ? readFileSync(file) : undefined);
        if (bytes) found.set(hash, bytes);
        else rest.push(hash);
      }
      for (const [hash, bytes] of await this.objects.readMany(rest)) found.set(hash, bytes);
      return found;
    };
    const absentOf = async (blobs: Iterable<string>): Promise<string[]> => {
      const unknown = [...blobs].filter((h) => !pack?.files.has(h));
      const held = await this.objects.hasMany(unknown);
      return unknown.filter((_, i) => !held[i]);
    };
    if (base) {
      const walk = await walkChangedTrees(root, base, read, this.limits, assertSafeFolder);
      const missing = [...walk.missingTrees, ...(await absentOf(walk.newBlobs))];
      return { manifest: walk.manifest, missing, changedPaths: walk.changedPaths };
    }
    const { trees, blobs } = await gatherTrees(root, read, this.limits.maxDepth);
    const absent = new Set(await absentOf(blobs));
    const source = { tree: (h: string) => trees.get(h), hasBlob: (h: string) => !absent.has(h) };
    return walkTree(root, source, this.limits, assertSafeFolder);
  }

  /**
   * The manifest of a stored root. Throws E_MISSING_OBJECTS when some of its objects are gone (a pruned
   * and collected deployment): a partial manifest would read as "every file differs".
   */
  async manifestOf(root: string): Promise<ReadonlyMap<string, string>> {
    const cached = this.manifests.get(root);
    if (cached) return cached;
    const { manifest, missing } = await this.resolve(root, null);
    if (missing.length > 0) {
      throw new CaxtonError(
        "E_MISSING_OBJECTS",
        `the server no longer stores ${missing.length} object(s) of tree ${root}`,
        { detail: { missing: missing.slice(0, 100), unapplied_deltas: [] } },
      );
    }
    this.remember(root, manifest);
    return manifest;
  }

  /** Keeps a manifest just resolved (the deployment being applied); the oldest goes beyond the bound. */
  remember(root: string, manifest: ReadonlyMap<string, string>): void {
    this.manifests.delete(root);
    if (this.manifests.size >= CACHED_MANIFESTS) {
      const oldest = this.manifests.keys().next();
      if (!oldest.done) this.manifests.delete(oldest.value);
    }
    this.manifests.set(root, manifest);
  }

  /** Forgets everything (the head moved elsewhere; nothing cached is wrong, but nothing is needed). */
  clear(): void {
    this.manifests.clear();
  }
}
