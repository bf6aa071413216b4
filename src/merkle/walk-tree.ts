/**
 * The one tree walker: a root hash and a source of tree objects give the flat manifest (path → blob hash)
 * and every object the source lacks, collected in one pass so a client can send them all in one round trip.
 * Limits are checked before anything is expanded: a tree may repeat one subtree under many names (60 levels
 * of a 2-entry tree is 2^60 paths in a 7 KB request), so files are first counted per distinct tree
 * (memoised: the cost is the number of distinct trees). A caller may check each folder's names
 * (`checkFolder`; the server refuses unsafe paths and case clashes there). Pure: no I/O; a store is read
 * ahead of the walk with `gatherTrees`, one batched read per level.
 */
import { CaxtonError } from "../errors/caxton-error.js";
import { decodeTree, type TreeEntry } from "./tree-object.js";

export interface TreeSource {
  /** a tree object's bytes, or undefined when not held */
  tree(hash: string): Uint8Array | undefined;
  hasBlob(hash: string): boolean;
}

export interface WalkLimits {
  maxFiles: number;
  maxDepth: number;
}

/** Called once per folder reached, with its path ("" for the root) and entries, before descending. */
export type FolderCheck = (prefix: string, entries: readonly TreeEntry[]) => void;

export interface WalkResult {
  manifest: Map<string, string>;
  /** trees and blobs the source lacks, each once */
  missing: string[];
}

export function walkTree(
  root: string,
  source: TreeSource,
  limits: WalkLimits,
  checkFolder?: FolderCheck,
): WalkResult {
  const tooManyFiles = (): CaxtonError =>
    new CaxtonError("E_TOO_LARGE", `the tree has more files than the limit of ${limits.maxFiles}`, {
      detail: { limit: "max_files", value: limits.maxFiles },
    });
  const counts = new Map<string, number>();
  const countFiles = (hash: string, depth: number): number => {
    const known = counts.get(hash);
    if (known !== undefined) return known;
    if (depth > limits.maxDepth) return Infinity;
    const bytes = source.tree(hash);
    let n = 0;
    if (bytes) for (const e of decodeTree(bytes)) n += e.kind === "tree" ? countFiles(e.hash, depth + 1) : 1;
    counts.set(hash, n);
    return n;
  };
  const total = countFiles(root, 0);
  if (total > limits.maxFiles && Number.isFinite(total)) throw tooManyFiles();
  const manifest = new Map<string, string>();
  const missing = new Set<string>();
  const visit = (hash: string, prefix: string, depth: number): void => {
    if (depth > limits.maxDepth) {
      throw new CaxtonError("E_TOO_LARGE", `the tree is deeper than the limit of ${limits.maxDepth} levels`, {
        detail: { limit: "max_depth", value: limits.maxDepth },
      });
    }
    const bytes = source.tree(hash);
    if (!bytes) {
      missing.add(hash);
      return;
    }
    const entries = decodeTree(bytes);
    checkFolder?.(prefix, entries);
    for (const e of entries) {
      const path = prefix === "" ? e.name : `${prefix}/${e.name}`;
      if (e.kind === "tree") visit(e.hash, path, depth + 1);
      else {
        if (!source.hasBlob(e.hash)) missing.add(e.hash);
        manifest.set(path, e.hash);
        if (manifest.size > limits.maxFiles) throw tooManyFiles();
      }
    }
  };
  visit(root, "", 0);
  return { manifest, missing: [...missing] };
}

/**
 * The manifest of a tree whose objects are all at hand (every blob is taken as held): E_MISSING_OBJECTS
 * naming the missing trees otherwise.
 */
export function flattenTree(
  root: string,
  lookup: (hash: string) => Uint8Array | undefined,
  limits: WalkLimits = { maxFiles: 1_000_000, maxDepth: 256 },
): Map<string, string> {
  const { manifest, missing } = walkTree(root, { tree: lookup, hasBlob: () => true }, limits);
  if (missing.length > 0) {
    throw new CaxtonError("E_MISSING_OBJECTS", `${missing.length} tree object(s) are missing`, {
      detail: { missing },
    });
  }
  return manifest;
}

/**
 * Reads the tree objects a root reaches ahead of `walkTree`, level by level (one batched `read` per depth,
 * so a networked store costs one round trip per level), and which blobs they name. Stops after
 * `maxDepth + 1` levels; what `read` does not return is absent, and the walk reports it missing.
 */
export async function gatherTrees(
  root: string,
  read: (hashes: string[]) => Promise<Map<string, Uint8Array>>,
  maxDepth: number,
): Promise<{ trees: Map<string, Uint8Array>; blobs: Set<string> }> {
  const trees = new Map<string, Uint8Array>();
  const blobs = new Set<string>();
  const seen = new Set<string>([root]);
  let level = [root];
  for (let depth = 0; level.length > 0 && depth <= maxDepth + 1; depth++) {
    const found = await read(level);
    const next: string[] = [];
    for (const hash of level) {
      const bytes = found.get(hash);
      if (!bytes) continue;
      trees.set(hash, bytes);
      for (const e of decodeTree(bytes)) {
        if (e.kind !== "tree") blobs.add(e.hash);
        else if (!seen.has(e.hash)) {
          seen.add(e.hash);
          next.push(e.hash);
        }
      }
    }
    level = next;
  }
  return { trees, blobs };
}
