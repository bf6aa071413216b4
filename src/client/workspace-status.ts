/**
 * `caxton status`: what changed in the workspace since the last successful deploy from it to a server.
 * Offline by design: it compares the workspace (through the stat cache) with the file map recorded at
 * that deploy, and asks no server.
 */
import { buildTree } from "../merkle/build-tree.js";
import { diffManifests } from "../merkle/diff-manifests.js";
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
  const root = buildTree(scan.manifest).root;
  const last = state.lastDeployment(workspace, server);
  const deployed = last ? state.deployedFiles(workspace, server) : new Map<string, string>();
  const diff = diffManifests(deployed, scan.manifest);
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
