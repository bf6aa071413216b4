/**
 * `GET /api/v1/manifests/{checksum}`: the file map (path → blob hash) of any deployment the server still
 * stores, by its root checksum. `caxton show` diffs a deployment against the one before it with two of
 * these; the live one is also `GET /api/v1/deployment/manifest`.
 */
import { CaxtonError } from "../errors/caxton-error.js";
import type { DeployService } from "./deploy-service.js";

export const MANIFEST_BY_ROOT = /^\/api\/v1\/manifests\/([0-9a-f]{64})$/;

export function manifestByRoot(
  service: DeployService,
  root: string,
): { checksum: string; files: Record<string, string> } {
  if (!service.objects.has(root)) {
    throw new CaxtonError("E_NOT_FOUND", `no stored deployment has the checksum ${root}`, {
      hint: "deployments older than the retention window (serve --keep) are no longer stored",
    });
  }
  let files: Map<string, string>;
  try {
    files = service.manifestOf(root);
  } catch (err) {
    throw new CaxtonError("E_NOT_FOUND", `the content of ${root} is no longer stored in full`, {
      cause: err,
    });
  }
  return { checksum: root, files: Object.fromEntries(files) };
}
