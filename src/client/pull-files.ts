/**
 * `caxton pull [PATH…]`: the server's live version of files, written into the workspace — how a deployer
 * takes in someone else's change after a conflict. A file edited here since the last deploy from here (its
 * content differs from what that deploy recorded) is not overwritten unless `force`: then nothing at all
 * is written, and the error names the files. Content is verified against its hash before it is written,
 * and each file is replaced by rename, so a reader sees the old file or the new one.
 */
import { scanLocal } from "./scan-with-monitor.js";
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { CaxtonError } from "../errors/caxton-error.js";
import { ApiClient, type ConnectionOptions } from "./api-client.js";
import type { LocalState } from "./local-state.js";

export interface PullRequest {
  workspace: string;
  server: string;
  state: LocalState;
  connection: ConnectionOptions;
  /** workspace paths (files or folders); empty: every file that differs from the live deployment */
  paths: readonly string[];
  force: boolean;
}

export interface PullResult {
  deployment_id: number | null;
  deployed_checksum: string | null;
  written: string[];
  deleted: string[];
  /** paths asked for that already match the server */
  unchanged: number;
}

export async function pullFiles(req: PullRequest): Promise<PullResult> {
  const api = new ApiClient(req.server, req.connection);
  try {
    const live = await api.manifest();
    const remote = new Map(Object.entries(live?.files ?? {}));
    const key = api.serverId
      ? req.state.learnServerId(req.server, api.serverId)
      : req.state.serverKey(req.server);
    const base = req.state.deployedFiles(req.workspace, key);
    const local = await scanLocal(req.workspace, req.state.statCache(req.workspace));
    const under = (p: string): boolean =>
      req.paths.length === 0 || req.paths.some((q) => q === "" || p === q || p.startsWith(`${q}/`));
    const candidates = [...new Set([...remote.keys(), ...local.files.keys()])].filter(under).sort();
    if (req.paths.length > 0 && candidates.length === 0) {
      throw new CaxtonError(
        "E_NOT_FOUND",
        `neither the server nor the workspace has ${req.paths.join(", ")}`,
      );
    }
    const changed = candidates.filter((p) => remote.get(p) !== local.files.get(p)?.hash);
    const edited = changed.filter((p) => local.files.get(p)?.hash !== base.get(p));
    if (edited.length > 0 && !req.force) {
      const more = edited.length > 1 ? ` (and ${edited.length - 1} more)` : "";
      throw new CaxtonError(
        "E_LOCAL_EDITS",
        `${edited[0]} was edited here since your last deploy${more}; nothing was pulled`,
        { detail: { edited: edited.slice(0, 1000) } },
      );
    }
    const result: PullResult = {
      deployment_id: live?.deployment_id ?? null,
      deployed_checksum: live?.checksum ?? null,
      written: [],
      deleted: [],
      unchanged: candidates.length - changed.length,
    };
    for (const path of changed) {
      const target = join(req.workspace, ...path.split("/"));
      const hash = remote.get(path);
      if (hash === undefined) {
        rmSync(target, { force: true });
        result.deleted.push(path);
        continue;
      }
      const content = await api.object(hash);
      mkdirSync(dirname(target), { recursive: true });
      const tmp = `${target}.caxton-pull-${process.pid}`;
      writeFileSync(tmp, content);
      renameSync(tmp, target);
      result.written.push(path);
    }
    return result;
  } finally {
    api.close();
  }
}
