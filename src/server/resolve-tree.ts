/**
 * Resolves a deployment's root into its manifest, reading tree objects from the transaction or the store.
 * Collects every missing object in one pass so the client can send them all in one more round trip.
 * Every path is checked: segments by the tree decoder, whole paths by the safe-path rules, and names that
 * would collide on a case-insensitive file system are refused.
 */
import { CaxtonError } from "../errors/caxton-error.js";
import { decodeTree } from "../merkle/tree-object.js";
import { pathProblem } from "../protocol/safe-path.js";

export interface ObjectSource {
  tree(hash: string): Uint8Array | undefined;
  hasBlob(hash: string): boolean;
}

export interface ResolveLimits {
  maxFiles: number;
  maxDepth: number;
}

export function resolveTree(
  root: string,
  source: ObjectSource,
  limits: ResolveLimits,
): { manifest: Map<string, string>; missing: string[] } {
  // A tree may repeat one subtree under many names: 60 levels of a 2-entry tree is 2^60 paths in a 7 KB
  // request. Count files per distinct tree first (memoised, so the cost is the number of distinct trees)
  // and refuse before expanding anything.
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
  if (total > limits.maxFiles && Number.isFinite(total)) {
    throw new CaxtonError("E_TOO_LARGE", `the tree has more files than the limit of ${limits.maxFiles}`, {
      detail: { limit: "max_files", value: limits.maxFiles },
    });
  }
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
    const folded = new Map<string, string>();
    for (const e of decodeTree(bytes)) {
      const path = prefix === "" ? e.name : `${prefix}/${e.name}`;
      const problem = pathProblem(path);
      if (problem) throw new CaxtonError("E_UNSAFE_PATH", `unsafe path ${JSON.stringify(path)}: ${problem}`);
      const key = e.name.normalize("NFC").toLowerCase();
      const clash = folded.get(key);
      if (clash !== undefined) {
        throw new CaxtonError(
          "E_UNSAFE_PATH",
          `paths ${JSON.stringify(clash)} and ${JSON.stringify(path)} differ only in case or Unicode normalisation`,
          { hint: "rename one of them: they would overwrite each other on macOS and Windows" },
        );
      }
      folded.set(key, path);
      if (e.kind === "tree") visit(e.hash, path, depth + 1);
      else {
        if (!source.hasBlob(e.hash)) missing.add(e.hash);
        manifest.set(path, e.hash);
        if (manifest.size > limits.maxFiles) {
          throw new CaxtonError(
            "E_TOO_LARGE",
            `the tree has more files than the limit of ${limits.maxFiles}`,
            {
              detail: { limit: "max_files", value: limits.maxFiles },
            },
          );
        }
      }
    }
  };
  visit(root, "", 0);
  return { manifest, missing: [...missing] };
}

/**
 * Loads the tree objects a root reaches, level by level (one batched read per depth, so a networked store
 * costs one round trip per level), and which blobs they name. Stops at `maxDepth + 1` levels; what no
 * source holds is simply absent, and `resolveTree` then reports it missing.
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
