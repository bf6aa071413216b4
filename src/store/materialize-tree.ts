/**
 * Lays deployments out by tree hash, so a deployment costs in proportion to what it changed. Every folder of
 * every deployment is one directory `trees/<tree hash>/`: its files are hard links to their objects (no
 * content is copied; objects and therefore deployed files are read-only, 0444) and each subfolder is a
 * relative symlink `name -> ../<subtree hash>`. A directory's content is fixed by its name (the hash of its
 * tree object), so a folder already laid out by any earlier deployment is reused as it is: a one-agent
 * change lays out the agent's folder and the folders above it, nothing else.
 *
 * A tree directory is built in a staging folder and renamed into `trees/` only when complete, children
 * before parents, with `trees/` fsynced between levels: a `trees/<hash>` that exists is always whole, and so
 * is every tree it links to. Directories are never changed once placed; garbage collection removes those no
 * retained deployment reaches (collect-garbage.ts).
 */
import {
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { join } from "node:path";
import { buildTree } from "../merkle/build-tree.js";
import { decodeTree, type TreeEntry } from "../merkle/tree-object.js";
import { makeDurable, type DurabilityPort } from "./durable-fs.js";
import type { ObjectStore } from "./object-store.js";

export interface TreeLayout {
  /** where tree directories live (`DATA/trees`) */
  trees: string;
  /** an empty folder of this transaction to build new tree directories in */
  staging: string;
  /** syncfs goes to the file system holding this path */
  root: string;
}

/** The relative symlink target that names a tree directory from a sibling (`../<hash>`). */
export function treeLinkTarget(hash: string): string {
  return `../${hash}`;
}

/** Folders built in a transaction's staging folder, not yet in `trees/`: children before parents. */
export interface StagedTrees {
  layout: TreeLayout;
  /** by height: level 0 links only to folders `trees/` holds already */
  levels: string[][];
  /** every staged tree hash, children first */
  placed: string[];
}

export interface StageOptions {
  /** tree objects at hand (bytes by hash), read before the store */
  trees?: ReadonlyMap<string, Buffer>;
  /** objects not in the store yet (hash → verified file): read and linked from there */
  pending?: ReadonlyMap<string, string>;
}

/**
 * Builds, in the staging folder, every folder of `root` that `trees/` does not hold yet. Tree objects are
 * read from `options.trees`, `options.pending`, or `objects`; one that none holds is rebuilt from
 * `manifest` (path → blob hash). Files are hard links to their objects: in the store, or pending.
 */
export function stageTrees(
  layout: TreeLayout,
  root: string,
  manifest: ReadonlyMap<string, string>,
  objects: ObjectStore,
  options: StageOptions = {},
): StagedTrees {
  const { trees, pending } = options;
  let rebuilt: Map<string, Buffer> | undefined;
  const entriesOf = (hash: string): TreeEntry[] => {
    const file = pending?.get(hash);
    const bytes =
      trees?.get(hash) ??
      (file !== undefined ? readFileSync(file) : objects.has(hash) ? objects.read(hash) : undefined);
    if (bytes) return decodeTree(bytes);
    rebuilt ??= new Map([...buildTree(manifest).trees.values()].map((n) => [n.hash, n.bytes]));
    const again = rebuilt.get(hash);
    if (!again) throw new Error(`tree ${hash} is neither held nor part of the deployment's manifest`);
    return decodeTree(again);
  };
  const sourceOf = (hash: string): string => pending?.get(hash) ?? objects.pathOf(hash);

  // post-order: each new tree after its new subtrees; height 0 links only to trees that exist already
  const levels: string[][] = [];
  const seen = new Map<string, number>();
  const stage = (hash: string): number => {
    const known = seen.get(hash);
    if (known !== undefined) return known;
    if (existsSync(join(layout.trees, hash))) {
      seen.set(hash, -1);
      return -1;
    }
    const entries = entriesOf(hash);
    let height = 0;
    for (const e of entries) if (e.kind === "tree") height = Math.max(height, stage(e.hash) + 1);
    const dir = join(layout.staging, hash);
    mkdirSync(dir);
    for (const e of entries) {
      const dest = join(dir, e.name);
      if (e.kind === "tree") symlinkSync(treeLinkTarget(e.hash), dest);
      else linkObject(sourceOf(e.hash), dest);
    }
    seen.set(hash, height);
    (levels[height] ??= []).push(hash);
    return height;
  };
  mkdirSync(layout.trees, { recursive: true });
  mkdirSync(layout.staging, { recursive: true });
  stage(root);
  return { layout, levels, placed: levels.flat() };
}

/** The staged folders, whose entries must be durable before they are placed. */
export function stagedFolders(staged: StagedTrees): string[] {
  return staged.placed.map((hash) => join(staged.layout.staging, hash));
}

/**
 * Renames complete, durable staged folders into `trees/`, deepest first, fsyncing `trees/` after each level:
 * a folder is never in `trees/` before every folder it links to is there.
 */
export function placeTrees(staged: StagedTrees, durability: DurabilityPort): void {
  const { layout } = staged;
  for (const level of staged.levels) {
    for (const hash of level) place(join(layout.staging, hash), join(layout.trees, hash));
    durability.fsyncDir(layout.trees);
  }
}

/**
 * Makes `trees/<root>` exist, whole and durable, laying out only the folders not laid out yet (stageTrees,
 * then durable, then placeTrees). `step` hears "tree-staged" (new directories built) and "synced" (durable,
 * not yet placed). Returns the tree hashes it placed, children first.
 */
export function materializeTree(
  layout: TreeLayout,
  root: string,
  manifest: ReadonlyMap<string, string>,
  objects: ObjectStore,
  durability: DurabilityPort,
  options: { trees?: ReadonlyMap<string, Buffer>; step?: (name: "tree-staged" | "synced") => void } = {},
): string[] {
  const staged = stageTrees(layout, root, manifest, objects, options.trees ? { trees: options.trees } : {});
  options.step?.("tree-staged");
  makeDurable(durability, layout.root, [], stagedFolders(staged));
  options.step?.("synced");
  placeTrees(staged, durability);
  return staged.placed;
}

/** Renames a complete tree directory into place; one placed meanwhile under the same hash is identical. */
function place(staged: string, final: string): void {
  try {
    renameSync(staged, final);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if ((code === "ENOTEMPTY" || code === "EEXIST") && existsSync(final)) {
      rmSync(staged, { recursive: true, force: true });
    } else throw err;
  }
}

function linkObject(source: string, dest: string): void {
  try {
    linkSync(source, dest);
  } catch (err) {
    // ext4 caps an inode at 65,000 links; a very common blob (an empty file) can reach it across history
    if ((err as NodeJS.ErrnoException).code === "EMLINK") copyFileSync(source, dest);
    else throw err;
  }
}
