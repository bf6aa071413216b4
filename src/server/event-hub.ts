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

/** How long a replica waits for the event of a deployment it saw go live elsewhere (logged just after). */
const REMOTE_EVENT_WAIT_MS = 5_000;

export class EventHub {
  private readonly clients = new Set<ServerResponse>();
  /** the log position up to which events made elsewhere were relayed (null until read) */
  private tail: Promise<number> | null = null;
  /** sequence numbers of events this process published itself (relayed already), above the tail */
  private readonly own = new Set<number>();
  private relaying: Promise<void> = Promise.resolve();

  constructor(private readonly workspace: Pick<WorkspaceStore, "log" | "entriesAfter" | "lastSeq">) {}

  /** Where relaying starts: the log's end when the server started (subscribers replay older ones). */
  start(): Promise<void> {
    this.tail ??= this.workspace.lastSeq();
    return this.tail.then(() => {});
  }

  async publish(txid: string, event: DeploymentEvent): Promise<void> {
    const seq = await this.workspace.log(txid, event.deployment_id, LOG_EVENT, event);
    this.own.add(seq);
    if (this.own.size > REPLAY_LIMIT) this.own.delete(this.own.values().next().value as number);
    this.send(seq, event);
  }

  /**
   * Relays to subscribers the events written by other replicas since the last relay, in log order, until
   * the one for `deploymentId` (the head that just moved here) has been seen. The other replica logs it
   * right after its commit, so it may appear a moment after the head did.
   */
  relay(deploymentId: number): Promise<void> {
    this.relaying = this.relaying.then(() => this.relayUntil(deploymentId)).catch(() => {});
    return this.relaying;
  }

  private async relayUntil(deploymentId: number): Promise<void> {
    const deadline = Date.now() + REMOTE_EVENT_WAIT_MS;
    let tail = await (this.tail ?? this.start().then(() => this.tail as Promise<number>));
    for (;;) {
      let seen = false;
      for (const row of await this.workspace.entriesAfter(LOG_EVENT, tail, REPLAY_LIMIT)) {
        tail = row.seq;
        if ((row.deployment_id ?? -1) >= deploymentId) seen = true;
        if (this.own.delete(row.seq)) continue;
        this.send(row.seq, JSON.parse(row.detail ?? "{}") as DeploymentEvent);
      }
      this.tail = Promise.resolve(tail);
      for (const seq of this.own) if (seq <= tail) this.own.delete(seq);
      if (seen || Date.now() > deadline) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  private send(seq: number, event: DeploymentEvent): void {
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
