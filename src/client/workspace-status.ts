/**
 * `caxton status`: what changed in the workspace since the last successful deploy from it to a server.
 * Offline by design: it compares the workspace (through the stat cache) with the file map recorded at
 * that deploy, and asks no server.
 */
import { diffManifests, type ManifestDiff } from "../merkle/diff-manifests.js";
import { diffTrees } from "../merkle/diff-trees.js";
import { scanWorkspace } from "../workspace/scan-workspace.js";
import type { LocalState } from "./local-state.js";

export interface WorkspaceStatus {
  workspace: string;
  server: string;
  workspace_checksum: string;
  deployed_checksum: string | null;
  in_sync: boolean;
  added: string[];
  modified: string[];
  deleted: string[];
  last_deployment: { id: number | null; time: string; changes_count: number } | null;
}

export function workspaceStatus(workspace: string, server: string, state: LocalState): WorkspaceStatus {
  const scan = scanWorkspace(workspace, { cache: state.statCache(workspace) });
  const root = scan.tree.root;
  const last = state.lastDeployment(workspace, server);
  const trees = last ? state.deployedTrees(workspace, server, last.deployed_checksum) : undefined;
  let diff: Omit<ManifestDiff, "renamed">;
  if (last && trees) {
    // by the tree diff: only the folders whose hashes differ are read
    const changes = diffTrees(scan.tree, last.deployed_checksum, (h) => trees.get(h)).changes;
    const paths = (keep: (c: (typeof changes)[number]) => boolean): string[] =>
      changes
        .filter(keep)
        .map((c) => c.path)
        .sort();
    diff = {
      added: paths((c) => c.before === undefined),
      modified: paths((c) => c.before !== undefined && c.after !== undefined),
      deleted: paths((c) => c.after === undefined),
    };
  } else {
    diff = diffManifests(last ? state.deployedFiles(workspace, server) : new Map(), scan.manifest);
  }
  return {
    workspace,
    server,
    workspace_checksum: root,
    deployed_checksum: last?.deployed_checksum ?? null,
    in_sync: last?.deployed_checksum === root,
    added: diff.added,
    modified: diff.modified,
    deleted: diff.deleted,
    last_deployment: last
      ? { id: last.server_deployment_id, time: last.deployment_time, changes_count: last.changes_count }
      : null,
  };
}
