/** The deployment events a deploy, a rejection or a rollback publishes (the SSE stream's payloads). */
import type { DeploymentEvent } from "./event-hub.js";

export function deploymentEvent(
  type: DeploymentEvent["type"],
  id: number | null,
  root: string,
  previous: string | null,
  fields: Partial<Pick<DeploymentEvent, "changed_agents" | "added" | "modified" | "deleted" | "errors">>,
): DeploymentEvent {
  return {
    type,
    time: new Date().toISOString(),
    deployment_id: id,
    checksum: root,
    previous_checksum: previous,
    changed_agents: [],
    added: 0,
    modified: 0,
    deleted: 0,
    ...fields,
  };
}
