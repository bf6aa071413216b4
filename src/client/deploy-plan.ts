/**
 * What a deploy knows before it talks to the server: the scanned workspace and its Merkle tree, this
 * client's last deployment here (the base) and its file map, the local validation, and the pack header.
 * The change since the base comes from a tree diff against the base's trees on record; the base's file
 * map, tree and object set are computed on first use only (without that record): a no-change deploy
 * never loads them.
 */
import { scanLocal } from "./scan-with-monitor.js";
import { hostname, userInfo } from "node:os";
import { isCaxtonError } from "../errors/caxton-error.js";
import { buildTree, type MerkleTree } from "../merkle/build-tree.js";
import { diffTrees, type TreeDiff } from "../merkle/diff-trees.js";
import type { DeployHeader } from "../protocol/messages.js";
import { type ScanProgress, type ScanResult } from "../workspace/scan-workspace.js";
import { VERSION } from "../version.js";
import { compactHeap, LARGE_WORKSPACE_FILES, limitYoungGeneration } from "./compact-heap.js";
import { gitInfo, type GitInfo } from "./git-info.js";
import type { LocalDeployment, LocalState } from "./local-state.js";
import type { PhaseClock } from "./phase-clock.js";
import { validateLocally } from "./validate-locally.js";
import { objectSet } from "./deploy-objects.js";

export interface PlanRequest {
  workspace: string;
  server: string;
  state: LocalState;
  deployedBy?: string;
  message?: string;
  onProgress?: (p: ScanProgress | { phase: "validate" }) => void;
  /** the workspace as scanned already: no walk */
  scan?: ScanResult;
  /** where the git facts come from (`deploy --watch` keeps them across deploys); default: read them now */
  gitFacts?: () => Promise<GitInfo | undefined>;
}

export class DeployPlan {
  private baseFiles: Map<string, string> | undefined;
  private baseTreeMemo: MerkleTree | undefined;
  private baseObjectsMemo: Set<string> | undefined;
  private treeObjectsMemo: Set<string> | undefined;
  private treeDiffMemo: TreeDiff | null | undefined;

  constructor(
    readonly workspace: string,
    /** what the local state keys this server by: its id once its URL reported one, else the URL */
    readonly serverKey: string,
    private readonly state: LocalState,
    readonly scan: ScanResult,
    readonly tree: MerkleTree,
    /** this client's last deployment of this workspace to this server */
    readonly last: LocalDeployment | undefined,
    /** what the pack's header says (the git facts are filled in once read, before the first request) */
    public header: DeployHeader,
  ) {}

  /** 20,000 files or more: the heap is compacted at phase boundaries (compact-heap.ts) */
  get large(): boolean {
    return this.scan.files.size >= LARGE_WORKSPACE_FILES;
  }

  /** The workspace is what this client last deployed here. */
  get unchanged(): boolean {
    return this.tree.root === this.last?.deployed_checksum;
  }

  /**
   * The change since the base, found by descending only into the folders whose hashes differ (the base's
   * trees are on record in the local state); null without a base, with no change, or without that record
   * (an older state file: the file maps are diffed instead).
   */
  treeDiff(): TreeDiff | null {
    if (this.treeDiffMemo !== undefined) return this.treeDiffMemo;
    this.treeDiffMemo = null;
    if (!this.last || this.unchanged) return null;
    const trees = this.state.deployedTrees(this.workspace, this.serverKey, this.last.deployed_checksum);
    if (!trees) return null;
    try {
      this.treeDiffMemo = diffTrees(this.tree, this.last.deployed_checksum, (h) => trees.get(h));
    } catch (err) {
      if (!isCaxtonError(err) || err.code !== "E_MISSING_OBJECTS") throw err;
    }
    return this.treeDiffMemo;
  }

  /**
   * The base's hash of each file that changed since (what a delta base is looked up by): from the tree
   * diff when there is one, without loading the base's whole file map.
   */
  changedBaseHashes(): ReadonlyMap<string, string> {
    const diff = this.treeDiff();
    if (!diff) return this.baseManifest();
    return new Map(
      diff.changes.flatMap((c) => (c.before === undefined ? [] : [[c.path, c.before] as const])),
    );
  }

  /** The files added or modified since the base. */
  changedPaths(): Set<string> {
    const diff = this.treeDiff();
    if (diff) return new Set(diff.changes.flatMap((c) => (c.after === undefined ? [] : [c.path])));
    const base = this.baseManifest();
    return new Set(
      [...this.scan.manifest].flatMap(([path, hash]) => (base.get(path) === hash ? [] : [path])),
    );
  }

  /** The base's file map (path → hash); empty without a base. */
  baseManifest(): Map<string, string> {
    return (this.baseFiles ??= this.last
      ? this.state.deployedFiles(this.workspace, this.serverKey)
      : new Map<string, string>());
  }

  /** The base's file map if something loaded it already (the local state then updates by diff). */
  loadedBaseManifest(): Map<string, string> | undefined {
    return this.baseFiles;
  }

  baseTree(): MerkleTree {
    return (this.baseTreeMemo ??= buildTree(this.baseManifest()));
  }

  /** Every object the base reaches: a server that runs the base holds all of them. */
  baseObjects(): Set<string> {
    return (this.baseObjectsMemo ??= objectSet(this.baseTree(), this.baseManifest()));
  }

  /** The base's objects if the fast path computed them (those are on record in the local state already). */
  computedBaseObjects(): Set<string> | undefined {
    return this.baseObjectsMemo;
  }

  /** Every object the workspace's tree reaches. */
  treeObjects(): Set<string> {
    return (this.treeObjectsMemo ??= objectSet(this.tree, this.scan.manifest));
  }
}

/** Scans, hashes and validates the workspace, and reads the base: everything before the first request. */
export async function planDeploy(req: PlanRequest, clock: PhaseClock): Promise<DeployPlan> {
  limitYoungGeneration(); // before the scan, whose garbage is most of a large deploy's
  const scan =
    req.scan ??
    (await scanLocal(req.workspace, req.state.statCache(req.workspace), {
      ...(req.onProgress ? { onProgress: req.onProgress } : {}),
    }));
  const tree = scan.tree;
  // keyed by the server's id once this URL reported it, so every spelling of its URL shares one record
  const serverKey = req.state.serverKey(req.server);
  const last = req.state.lastDeployment(req.workspace, serverKey);
  const changed = tree.root !== last?.deployed_checksum;
  // read beside the validation; a failed validation leaves the read to finish on its own
  const git = changed ? (req.gitFacts ?? (() => gitInfo(req.workspace)))() : undefined;
  const header = (facts: GitInfo | undefined): DeployHeader => ({
    root: tree.root,
    base: last?.deployed_checksum ?? null,
    deployed_by: req.deployedBy ?? defaultDeployer(),
    client_version: VERSION,
    ...(facts ? { git: facts } : {}),
    ...(req.message ? { message: req.message } : {}),
  });
  const plan = new DeployPlan(req.workspace, serverKey, req.state, scan, tree, last, header(undefined));
  // the scan's garbage (stat results, cache rows) goes before the upload; a kept scan left none
  if (plan.large && !req.scan) compactHeap();
  if (changed) {
    req.onProgress?.({ phase: "validate" });
    await clock.validation(() => validateLocally(scan, last ? plan.changedPaths() : null));
  }
  const facts = await git;
  if (facts) plan.header = header(facts);
  clock.endDiscovery();
  return plan;
}

export function defaultDeployer(): string {
  let user = process.env.USER ?? "unknown";
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers): keep $USER
  }
  return `${user}@${hostname()}`;
}
