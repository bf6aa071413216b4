/**
 * `GET /api/v1/manifests/{checksum}`: the file map (path → blob hash) of any deployment the server still
 * stores, by its root checksum. `caxton show` diffs a deployment against the one before it with two of
 * these; the live one is also `GET /api/v1/deployment/manifest`.
 */
import { CaxtonError, isCaxtonError } from "../errors/caxton-error.js";
import type { DeployService } from "./deploy-service.js";

export const MANIFEST_BY_ROOT = /^\/api\/v1\/manifests\/([0-9a-f]{64})$/;

export async function manifestByRoot(
  service: DeployService,
  root: string,
  /** a workspace's token: only roots of the workspace's own deployments (workspace-objects.ts) */
  ownOnly = false,
): Promise<{ checksum: string; files: Record<string, string> }> {
  if (ownOnly && !(await service.workspace.committed(Number.MAX_SAFE_INTEGER)).some((r) => r.root === root)) {
    throw new CaxtonError(
      "E_NOT_FOUND",
      `workspace ${JSON.stringify(service.workspace.id)} holds no tree ${root}`,
    );
  }
  let files: ReadonlyMap<string, string>;
  try {
    files = await service.manifestOf(root);
  } catch (err) {
    if (!isCaxtonError(err) || err.code !== "E_MISSING_OBJECTS") throw err;
    throw new CaxtonError("E_NOT_FOUND", `the server does not store the tree ${root} (any more)`, {
      hint: "deployments older than the retention window (serve --keep) are no longer stored",
      cause: err,
    });
  }
  return { checksum: root, files: Object.fromEntries(files) };
}
