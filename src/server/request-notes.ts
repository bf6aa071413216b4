/**
 * Facts a route learns while it answers (a deployment's id, root, counts, who) that the request log and the
 * metrics want once the request is over. Kept beside the response, so nothing is threaded through handlers.
 */
import type { ServerResponse } from "node:http";

export interface DeploymentNote {
  kind: "deploy" | "rollback";
  outcome: "applied" | "up_to_date" | "dry_run";
  deployment_id: number | null;
  root: string;
  added: number;
  modified: number;
  deleted: number;
  deployed_by: string | null;
  apply_ms: number;
}

const notes = new WeakMap<ServerResponse, DeploymentNote>();

export function noteDeployment(res: ServerResponse, note: DeploymentNote): void {
  notes.set(res, note);
}

export function deploymentNote(res: ServerResponse): DeploymentNote | undefined {
  return notes.get(res);
}
