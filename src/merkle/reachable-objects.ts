/**
 * The objects a set of roots reaches, kept up to date by reference counts over the Merkle DAG, so that a
 * change of the roots costs in proportion to what it changes: every reached object counts the reached tree
 * objects that name it (each distinct tree once, however many roots share it) plus one if it is a root
 * itself. A tree's children are counted when it is first reached as a tree and released when it no longer
 * is (the same bytes may also be some file's content, which names no children); a subtree shared by an old
 * and a new root is never touched. Adding a root that shares all but one
 * folder path with a held root reads the few trees on that path; dropping the old root reads the same few.
 * Content addressing rules out cycles.
 *
 * A tree whose object `read` cannot supply is counted but not expanded, and makes the set incomplete
 * (`complete`): its children are unknown until it is reached again with its object at hand. Releasing an
 * expanded tree whose object has meanwhile gone leaves its children counted: the set may then say too much
 * is reached, never too little. Pure: the caller supplies the tree objects.
 */
import { decodeTree, type EntryKind } from "./tree-object.js";

/** A tree object's bytes by hash, undefined when not at hand. */
export type ReadTree = (hash: string) => Uint8Array | undefined;

export class ReachableObjects {
  private readonly counts = new Map<string, number>();
  /** of `counts`, the references that name a tree (a root, or an entry of kind tree) */
  private readonly treeCounts = new Map<string, number>();
  /** trees whose children are counted */
  private readonly expanded = new Set<string>();
  /** trees reached but not expanded: their object was not at hand */
  private readonly unexpanded = new Set<string>();
  private roots = new Set<string>();

  constructor(private readonly read: ReadTree) {}

  /** Whether any root reaches `hash`. */
  has(hash: string): boolean {
    return this.counts.has(hash);
  }

  /** How many objects are reached. */
  get size(): number {
    return this.counts.size;
  }

  /** False when some reached tree could not be expanded (its object was not at hand). */
  get complete(): boolean {
    return this.unexpanded.size === 0;
  }

  /**
   * Makes the roots exactly `roots` (tree hashes; repeats count once). What a new root reaches is counted
   * before what a dropped one reached is released, so a subtree they share is never released and re-read.
   * Returns the objects no longer reached.
   */
  retain(roots: Iterable<string>): string[] {
    const wanted = new Set(roots);
    for (const root of wanted) if (!this.roots.has(root)) this.reference(root);
    const released: string[] = [];
    for (const root of this.roots) if (!wanted.has(root)) this.release(root, released);
    this.roots = wanted;
    return released;
  }

  private reference(root: string): void {
    const stack: [string, EntryKind][] = [[root, "tree"]];
    for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
      const [hash, kind] = top;
      this.counts.set(hash, (this.counts.get(hash) ?? 0) + 1);
      if (kind !== "tree") continue;
      this.treeCounts.set(hash, (this.treeCounts.get(hash) ?? 0) + 1);
      if (this.expanded.has(hash)) continue;
      const bytes = this.read(hash);
      if (bytes === undefined) {
        this.unexpanded.add(hash);
        continue;
      }
      this.unexpanded.delete(hash);
      this.expanded.add(hash);
      for (const entry of decodeTree(bytes)) stack.push([entry.hash, entry.kind]);
    }
  }

  private release(root: string, released: string[]): void {
    const stack: [string, EntryKind][] = [[root, "tree"]];
    for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
      const [hash, kind] = top;
      if (!decrement(this.counts, hash)) released.push(hash);
      if (kind !== "tree" || decrement(this.treeCounts, hash)) continue;
      this.unexpanded.delete(hash);
      if (!this.expanded.delete(hash)) continue;
      const bytes = this.read(hash);
      // gone meanwhile: its children stay counted (too much reached, never too little)
      if (bytes === undefined) continue;
      for (const entry of decodeTree(bytes)) stack.push([entry.hash, entry.kind]);
    }
  }
}

/** Counts one reference less; false when none is left (the key is then gone). */
function decrement(counts: Map<string, number>, hash: string): boolean {
  const count = counts.get(hash) ?? 0;
  if (count > 1) {
    counts.set(hash, count - 1);
    return true;
  }
  counts.delete(hash);
  return false;
}
