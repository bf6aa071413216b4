/**
 * Row-to-API mapping: a stored deployment row as `GET /api/v1/deployments` lists it (the shape is the
 * protocol's `HistoryEntrySchema`), and the row's `meta` as a deploy header fills it.
 */
import {
  AgentPlanSchema,
  type AgentPlan,
  type DeployHeader,
  type HistoryEntry,
} from "../protocol/messages.js";
import type { DeploymentRow } from "../store/deployment-store.js";

export function toHistoryEntry(row: DeploymentRow): HistoryEntry {
  let meta: Record<string, unknown> = {};
  try {
    meta = row.meta ? (JSON.parse(row.meta) as Record<string, unknown>) : {};
  } catch {
    meta = {};
  }
  return {
    id: row.id,
    time: row.created_at,
    checksum: row.root,
    kind: row.kind,
    added: row.added,
    modified: row.modified,
    deleted: row.deleted,
    deployed_by: row.deployed_by,
    message: typeof meta.message === "string" ? meta.message : null,
    git: (meta.git as HistoryEntry["git"]) ?? null,
    rollback_of: typeof meta.rollback_of === "number" ? meta.rollback_of : null,
    plan: storedPlanOf(meta.plan),
  };
}

/** The plan a deployment record keeps, if it parses (older records have none). */
function storedPlanOf(value: unknown): AgentPlan | null {
  const r = AgentPlanSchema.safeParse(value);
  return r.success ? r.data : null;
}

/** What a deploy header adds to its row's `meta`; null when nothing. */
export function deployMeta(header: DeployHeader): Record<string, unknown> | null {
  const meta: Record<string, unknown> = {};
  if (header.message) meta.message = header.message;
  if (header.git) meta.git = header.git;
  return Object.keys(meta).length > 0 ? meta : null;
}
