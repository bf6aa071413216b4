/**
 * Deployment events as Server-Sent Events (`GET /api/v1/events`). Each event is first appended to the
 * transaction log, and its log sequence number is the SSE id, so a client that reconnects with
 * `Last-Event-ID` gets every event it missed — even across a server restart.
 */
import type { ServerResponse } from "node:http";
import type { TxLogEvent, WorkspaceStore } from "../store/deployment-store.js";

export type DeploymentEventType = "deployment.applied" | "deployment.rejected" | "deployment.rolled_back";

export interface DeploymentEvent {
  type: DeploymentEventType;
  time: string;
  deployment_id: number | null;
  checksum: string;
  previous_checksum: string | null;
  changed_agents: string[];
  added: number;
  modified: number;
  deleted: number;
  errors?: number;
}

const LOG_EVENT: TxLogEvent = "event";
const REPLAY_LIMIT = 10_000;
/** Comments every 15 s keep proxies and idle timers from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;

export class EventHub {
  private readonly clients = new Set<ServerResponse>();

  constructor(private readonly workspace: Pick<WorkspaceStore, "log" | "entriesAfter">) {}

  async publish(txid: string, event: DeploymentEvent): Promise<void> {
    const seq = await this.workspace.log(txid, event.deployment_id, LOG_EVENT, event);
    const frame = format(seq, event);
    for (const res of this.clients) res.write(frame);
  }

  async subscribe(res: ServerResponse, lastEventId: string | undefined): Promise<void> {
    res.writeHead(200, {
      "Content-Type": "text/event-stream",
      "Cache-Control": "no-cache",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    });
    res.write("retry: 2000\n\n");
    const after = lastEventId !== undefined && /^\d+$/.test(lastEventId) ? Number(lastEventId) : null;
    if (after !== null) {
      for (const row of await this.workspace.entriesAfter(LOG_EVENT, after, REPLAY_LIMIT)) {
        res.write(format(row.seq, JSON.parse(row.detail ?? "{}") as DeploymentEvent));
      }
    }
    this.clients.add(res);
    const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), HEARTBEAT_MS);
    res.on("close", () => {
      clearInterval(heartbeat);
      this.clients.delete(res);
    });
  }

  closeAll(): void {
    for (const res of this.clients) res.end();
    this.clients.clear();
  }
}

function format(seq: number, event: DeploymentEvent): string {
  return `id: ${seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}
