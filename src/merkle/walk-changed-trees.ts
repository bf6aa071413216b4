/**
 * A root's manifest computed from a base's, by descending only into the folders whose hashes differ from
 * the base's folder at the same path: a one-file change in 100,000 files reads the few folders on its path
 * (new and old side), not 100,000 entries. Same answer as `walkTree` on the whole tree when the base is
 * complete (every object it reaches is held): the same manifest, the same missing trees, the same folder
 * checks for every folder that differs (an unchanged folder passed them when the base was walked), the same
 * limits (a subtree the base lacks is expanded with the file count bounded by `maxFiles`, so a tree that
 * repeats one subtree under many names fails as soon as it exceeds the limit). Tree objects are read level
 * by level, one batched `read` per depth. Pure: no I/O of its own.
 */
import { CaxtonError } from "../errors/caxton-error.js";
import { LayeredMap } from "./layered-map.js";
import { decodeTree, type TreeEntry } from "./tree-object.js";
import type { FolderCheck, WalkLimits } from "./walk-tree.js";

export interface ChangedWalk {
  /** the base's manifest with the changes layered over it (layered-map.ts: the base is not copied) */
  manifest: ReadonlyMap<string, string>;
  /** tree objects of the new side that `read` did not return, each once */
  missingTrees: string[];
  /** the blobs the new side names where it differs from the base (the caller checks which are held) */
  newBlobs: Set<string>;
  /** every path whose blob may differ from the base's (added, modified or deleted: a superset) */
  changedPaths: Set<string>;
}

/**
 * Folders at one depth that pair the same new tree with the same old one: `count` paths, each expanded
 * alike. A tree that repeats one subtree under many names is one group per level, so its size is known
 * before any of it is expanded (a tree of 2^60 paths fails at the level where the count passes `maxFiles`).
 */
interface Group {
  next: string | undefined;
  prev: string | undefined;
  depth: number;
  count: number;
}

/** One entry's effect in a group, the same under every path of the group. */
type Step =
  | { kind: "set"; name: string; hash: string }
  | { kind: "remove"; name: string }
  | { kind: "descend"; name: string; next: string | undefined; prev: string | undefined };

interface Plan {
  /** the new folder's entries, null when the new side has no folder here or its tree is missing */
  entries: TreeEntry[] | null;
  steps: Step[];
}

const groupKey = (next: string | undefined, prev: string | undefined): string =>
  `${next ?? ""}:${prev ?? ""}`;

export async function walkChangedTrees(
  root: string,
  base: { root: string; manifest: ReadonlyMap<string, string> },
  read: (hashes: string[]) => Promise<Map<string, Uint8Array>>,
  limits: WalkLimits,
  checkFolder?: FolderCheck,
): Promise<ChangedWalk> {
  const tooManyFiles = (): CaxtonError =>
    new CaxtonError("E_TOO_LARGE", `the tree has more files than the limit of ${limits.maxFiles}`, {
      detail: { limit: "max_files", value: limits.maxFiles },
    });
  const missingTrees = new Set<string>();
  const plans = new Map<string, Plan>();
  const plan = (g: Pick<Group, "next" | "prev">, found: ReadonlyMap<string, Uint8Array>): Plan => {
    const old = new Map<string, TreeEntry>();
    if (g.prev !== undefined) {
      const bytes = found.get(g.prev);
      if (!bytes) throw new CaxtonError("E_INTERNAL", `tree ${g.prev} of the base is not stored`);
      for (const e of decodeTree(bytes)) old.set(e.name, e);
    }
    const steps: Step[] = [];
    let entries: TreeEntry[] | null = null;
    const bytes = g.next === undefined ? undefined : found.get(g.next);
    if (g.next !== undefined && !bytes) {
      missingTrees.add(g.next);
      return { entries: null, steps }; // not descended, as a whole walk does not descend a missing tree
    }
    if (bytes) {
      entries = decodeTree(bytes);
      for (const e of entries) {
        const was = old.get(e.name);
        old.delete(e.name);
        if (e.kind === "tree") {
          if (was?.kind === "tree" && was.hash === e.hash) continue; // the same folder: nothing below changed
          if (was !== undefined && was.kind !== "tree") steps.push({ kind: "remove", name: e.name });
          const prev = was?.kind === "tree" ? was.hash : undefined;
          steps.push({ kind: "descend", name: e.name, next: e.hash, prev });
          continue;
        }
        if (was?.kind === "tree")
          steps.push({ kind: "descend", name: e.name, next: undefined, prev: was.hash });
        else if (was !== undefined && was.hash === e.hash) continue;
        steps.push({ kind: "set", name: e.name, hash: e.hash });
      }
    }
    // what the old folder had and the new one does not (all of it when the new side has no folder here)
    for (const [name, e] of old) {
      if (e.kind === "tree") steps.push({ kind: "descend", name, next: undefined, prev: e.hash });
      else steps.push({ kind: "remove", name });
    }
    return { entries, steps };
  };

  // Pass 1: count, level by level, the folders entered and files set on the new side (each bounded by
  // maxFiles: a folder holds at least one file, so a tree within the limits passes neither) and check the
  // depth, reading each pair of folders once; nothing is expanded yet.
  let folders = 0;
  let files = 0;
  let level: Group[] = root === base.root ? [] : [{ next: root, prev: base.root, depth: 0, count: 1 }];
  while (level.length > 0) {
    const wanted = new Set<string>();
    for (const g of level) {
      if (g.next !== undefined) wanted.add(g.next);
      if (g.prev !== undefined) wanted.add(g.prev);
    }
    const found = await read([...wanted]);
    const following = new Map<string, Group>();
    for (const g of level) {
      if (g.next !== undefined) {
        if (g.depth > limits.maxDepth) {
          throw new CaxtonError(
            "E_TOO_LARGE",
            `the tree is deeper than the limit of ${limits.maxDepth} levels`,
            {
              detail: { limit: "max_depth", value: limits.maxDepth },
            },
          );
        }
        folders += g.count;
        if (folders > limits.maxFiles) throw tooManyFiles();
      }
      const p = plan(g, found);
      plans.set(groupKey(g.next, g.prev), p);
      for (const step of p.steps) {
        if (step.kind === "set") {
          files += g.count;
          if (files > limits.maxFiles) throw tooManyFiles();
        } else if (step.kind === "descend") {
          const key = groupKey(step.next, step.prev);
          const child = following.get(key);
          if (child) child.count += g.count;
          else following.set(key, { next: step.next, prev: step.prev, depth: g.depth + 1, count: g.count });
        }
      }
    }
    level = [...following.values()];
  }

  // Pass 2: expand every path from the plans, checking each new folder's names.
  const manifest = LayeredMap.derive(base.manifest);
  const newBlobs = new Set<string>();
  const changedPaths = new Set<string>();
  const join = (dir: string, name: string): string => (dir === "" ? name : `${dir}/${name}`);
  const expand = (prefix: string, next: string | undefined, prev: string | undefined): void => {
    const p = plans.get(groupKey(next, prev));
    if (!p) return; // below a missing tree
    if (p.entries) checkFolder?.(prefix, p.entries);
    for (const step of p.steps) {
      const path = join(prefix, step.name);
      if (step.kind === "set") {
        newBlobs.add(step.hash);
        manifest.set(path, step.hash);
        changedPaths.add(path);
      } else if (step.kind === "remove") {
        if (manifest.delete(path)) changedPaths.add(path);
      } else expand(path, step.next, step.prev);
    }
  };
  if (root !== base.root) expand("", root, base.root);
  if (manifest.size > limits.maxFiles) throw tooManyFiles();
  return { manifest, missingTrees: [...missingTrees], newBlobs, changedPaths };
}
