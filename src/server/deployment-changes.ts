/**
 * `GET /api/v1/deployments/{id}/changes[?base={id}]`: the files a deployment changed against its parent (or
 * against any other retained deployment, which is what a rollback to it would change), each with its content
 * checksums before and after, so a reader fetches the two objects and diffs them. The dashboard's history
 * and its rollback confirmation are built on this.
 */
import { CaxtonError } from "../errors/caxton-error.js";
import { diffManifests } from "../merkle/diff-manifests.js";
import type { DeploymentRow } from "../store/deployment-store.js";
import type { DeployService } from "./deploy-service.js";

export const FILE_CHANGES = ["added", "modified", "deleted"] as const;

export interface FileChange {
  path: string;
  change: (typeof FILE_CHANGES)[number];
  before: string | null;
  after: string | null;
}

export interface DeploymentChanges {
  deployment_id: number;
  checksum: string;
  base: { deployment_id: number; checksum: string } | null;
  files: FileChange[];
  truncated: boolean;
}

/** A diff of a whole workspace against nothing can be large; the list is capped, and says so. */
const MAX_FILES = 5_000;

export async function deploymentChanges(
  service: DeployService,
  id: number,
  baseId: number | null,
): Promise<DeploymentChanges> {
  const row = await retained(service, id);
  const baseRow =
    baseId !== null
      ? await retained(service, baseId)
      : row.parent_id !== null
        ? await service.workspace.get(row.parent_id)
        : undefined;
  const after = await manifest(service, row);
  const before: ReadonlyMap<string, string> = baseRow
    ? await manifest(service, baseRow)
    : new Map<string, string>();
  const diff = diffManifests(before, after);
  const files: FileChange[] = [
    ...diff.added.map((path) => ({
      path,
      change: "added" as const,
      before: null,
      after: after.get(path) ?? null,
    })),
    ...diff.modified.map((path) => ({
      path,
      change: "modified" as const,
      before: before.get(path) ?? null,
      after: after.get(path) ?? null,
    })),
    ...diff.deleted.map((path) => ({
      path,
      change: "deleted" as const,
      before: before.get(path) ?? null,
      after: null,
    })),
  ].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    deployment_id: row.id,
    checksum: row.root,
    base: baseRow ? { deployment_id: baseRow.id, checksum: baseRow.root } : null,
    files: files.slice(0, MAX_FILES),
    truncated: files.length > MAX_FILES,
  };
}

async function retained(service: DeployService, id: number): Promise<DeploymentRow> {
  const row = await service.workspace.get(id);
  if (!row || (row.status !== "committed" && row.status !== "pruned"))
    throw new CaxtonError("E_NOT_FOUND", `no deployment ${id}`);
  return row;
}

async function manifest(service: DeployService, row: DeploymentRow): Promise<ReadonlyMap<string, string>> {
  try {
    if (row.status === "pruned") throw new Error("pruned");
    return await service.manifestOf(row.root);
  } catch (err) {
    if (err instanceof CaxtonError && err.code !== "E_MISSING_OBJECTS") throw err;
    throw new CaxtonError("E_NOT_FOUND", `deployment ${row.id}'s content is no longer stored`, {
      hint: "deployments older than the retention window (serve --keep) are pruned",
    });
  }
}
