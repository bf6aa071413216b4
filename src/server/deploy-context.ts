/** What the deploy modules share: the store, one workspace's view, limits, and the server's caches. */
import { randomBytes } from "node:crypto";
import type { ConfigCache } from "../config/config-cache.js";
import type { CurrentDeployment, DeployResult } from "../protocol/messages.js";
import type {
  DeploymentRow,
  DeploymentStore,
  WorkspaceStore,
  WorkspaceTransaction,
} from "../store/deployment-store.js";
import type { EventHub } from "./event-hub.js";
import type { GcScheduler } from "./gc-scheduler.js";
import type { LiveState } from "./live-view.js";
import type { ManifestCache } from "./manifest-cache.js";
import type { ServerLimits } from "./server-limits.js";

export interface DeployContext {
  store: DeploymentStore;
  workspace: WorkspaceStore;
  limits: ServerLimits;
  manifests: ManifestCache;
  configCache: ConfigCache;
  events: EventHub;
  live: LiveState;
  gc: GcScheduler;
  /** a notice for the operator (the deployment is live but its bookkeeping failed, GC failed) */
  log(line: string): void;
}

/** What the deploy logic reads: the workspace without the lock, or the lock holder's transaction. */
export type WorkspaceReader = Pick<WorkspaceTransaction, "head" | "committed" | "get" | "log">;

export type LiveDeployment = CurrentDeployment & { row: DeploymentRow };

export async function currentDeployment(reader: WorkspaceReader): Promise<LiveDeployment | null> {
  const row = await reader.head();
  if (!row) return null;
  return { deployment_id: row.id, checksum: row.root, time: row.created_at, row };
}

export function newTxid(): string {
  return `${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
}

/** A result before anything happened: the fields a deploy or rollback fills in. */
export function emptyResult(
  root: string,
  previous: string | null,
  timestamp: string,
  dryRun: boolean,
): DeployResult {
  return {
    success: true,
    dry_run: dryRun,
    up_to_date: false,
    deployment_id: null,
    deployed_checksum: root,
    previous_checksum: previous,
    changes_applied: 0,
    added: [],
    modified: [],
    deleted: [],
    warnings: [],
    timestamp,
    validation_ms: 0,
    apply_ms: 0,
  };
}
