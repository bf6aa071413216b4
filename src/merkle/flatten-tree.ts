/**
 * Walks a tree from its root hash through a lookup of tree objects and yields the flat manifest.
 * Used by the server to resolve a deployment, and by anyone who holds trees but not paths.
 */
import { CaxtonError } from "../errors/caxton-error.js";
import { decodeTree } from "./tree-object.js";

export type TreeLookup = (hash: string) => Uint8Array | undefined;

export interface FlattenLimits {
  maxFiles: number;
  maxDepth: number;
}

export function flattenTree(
  root: string,
  lookup: TreeLookup,
  limits: FlattenLimits = { maxFiles: 1_000_000, maxDepth: 256 },
): Map<string, string> {
  const manifest = new Map<string, string>();
  const visit = (hash: string, prefix: string, depth: number): void => {
    if (depth > limits.maxDepth)
      throw new CaxtonError("E_TOO_LARGE", `tree deeper than ${limits.maxDepth} levels`);
    const bytes = lookup(hash);
    if (!bytes)
      throw new CaxtonError("E_MISSING_OBJECTS", `tree ${hash} is missing`, { detail: { missing: [hash] } });
    for (const e of decodeTree(bytes)) {
      const path = prefix === "" ? e.name : `${prefix}/${e.name}`;
      if (e.kind === "tree") visit(e.hash, path, depth + 1);
      else {
        manifest.set(path, e.hash);
        if (manifest.size > limits.maxFiles) {
          throw new CaxtonError("E_TOO_LARGE", `more than ${limits.maxFiles} files in the tree`);
        }
      }
    }
  };
  visit(root, "", 0);
  return manifest;
}
