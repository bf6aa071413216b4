/**
 * `caxton status`: what changed in the workspace since the last successful deploy from it to a server, and
 * — when the server answers — whether the server still runs that deployment (drift). The comparison with
 * the workspace is offline (the stat cache against the file map recorded at that deploy); the drift check
 * is one small request (`If-None-Match` on the deployed root: a bodiless 304 when nothing drifted).
 */
import { scanLocal } from "./scan-with-monitor.js";
import { isCaxtonError } from "../errors/caxton-error.js";
import { diffManifests, type ManifestDiff } from "../merkle/diff-manifests.js";
import { diffTrees } from "../merkle/diff-trees.js";
import type { ConnectionOptions, LiveDeployment } from "./api-client.js";
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
  /** the deploy from here this compares with */
  last_deployment: { id: number | null; time: string; changes_count: number } | null;
  /** true: the server runs something else than that deploy; null: not asked (offline) or no answer */
  drift: boolean | null;
  /** what the server runs, when it answered (null: nothing deployed, or not asked) */
  live: LiveDeployment | null;
  /** why the server was not asked, or could not answer; null when it answered */
  not_checked: { code: string; message: string } | null;
}

export interface StatusRequest {
  workspace: string;
  server: string;
  state: LocalState;
  /** null: offline, ask no server */
  connection: ConnectionOptions | null;
}

export async function workspaceStatus(req: StatusRequest): Promise<WorkspaceStatus> {
  const { workspace, server, state } = req;
  let key = state.serverKey(server);
  let last = state.lastDeployment(workspace, key);
  let live: LiveDeployment | null = null;
  let notChecked: WorkspaceStatus["not_checked"] = { code: "OFFLINE", message: "--offline: no server asked" };
  if (req.connection) {
    // the HTTP client loads only to ask: `status --offline` needs none of it
    const { ApiClient } = await import("./api-client.js");
    const api = new ApiClient(server, req.connection);
    try {
      live = await api.current(last?.deployed_checksum ?? null);
      notChecked = null;
      if (api.serverId && api.serverId !== key) {
        // first answer from this spelling of the server's URL: its record may be under its id already
        key = state.learnServerId(server, api.serverId);
        last = state.lastDeployment(workspace, key);
      }
    } catch (err) {
      if (!isCaxtonError(err)) throw err;
      notChecked = { code: err.code, message: err.message };
    } finally {
      api.close();
    }
  }
  const scan = await scanLocal(workspace, state.statCache(workspace));
  const root = scan.tree.root;
  const trees = last ? state.deployedTrees(workspace, key, last.deployed_checksum) : undefined;
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
    diff = diffManifests(last ? state.deployedFiles(workspace, key) : new Map(), scan.manifest);
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
    drift: notChecked ? null : (live?.checksum ?? null) !== (last?.deployed_checksum ?? null),
    live,
    not_checked: notChecked,
  };
}
