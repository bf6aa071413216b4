/**
 * Objects are shared and deduplicated by every workspace, so `GET /api/v1/objects/{hash}` could read any
 * workspace's content. The admin token reads any object (today's behaviour); a workspace's token only those
 * its workspace's retained deployments reach, so knowing a hash is not a way into another team's files.
 */
import { CaxtonError } from "../errors/caxton-error.js";
import type { Principal } from "./authenticate.js";
import type { DeployService } from "./deploy-service.js";

export async function readObject(
  service: DeployService,
  principal: Principal,
  hash: string,
): Promise<Buffer> {
  if (!principal.admin && !(await reaches(service, hash))) {
    throw new CaxtonError(
      "E_NOT_FOUND",
      `no object ${hash} in workspace ${JSON.stringify(service.workspace.id)}`,
    );
  }
  return service.readObject(hash);
}

/** Whether a retained deployment of the workspace holds the root or the file `hash`. */
export async function reaches(service: DeployService, hash: string): Promise<boolean> {
  for (const row of await service.workspace.committed(Number.MAX_SAFE_INTEGER)) {
    if (row.root === hash) return true;
    const files = await service.manifestOf(row.root).catch(() => new Map<string, string>());
    for (const blob of files.values()) if (blob === hash) return true;
  }
  return false;
}
