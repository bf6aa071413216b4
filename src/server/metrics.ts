/**
 * `GET /metrics` in the Prometheus text format, through prom-client: deployments by kind and outcome, deploy
 * and apply durations, bytes received, the object store's count and bytes, live agents, requests by route
 * and status, and the process metrics (CPU, memory, event-loop lag, file descriptors). One registry per
 * server, so several servers in one process (tests) keep separate counts.
 */
import type { ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { BlobStore } from "../store/deployment-store.js";
import { DEFAULT_WORKSPACE } from "../store/deployment-store.js";
import type { WorkspaceServices } from "./workspace-services.js";
import type { FinishedRequest } from "./http-server.js";
import { deploymentNote } from "./request-notes.js";

const DEPLOY_ROUTE = "POST /api/v1/deployments";
const ROLLBACK_ROUTE = "POST /api/v1/rollback";
/** Summing the object files' sizes walks the store; once a minute is plenty for a gauge. */
const STORE_SCAN_INTERVAL_MS = 60_000;

export interface ServerMetrics {
  observe(done: FinishedRequest): void;
  send(res: ServerResponse): Promise<void>;
}

/**
 * The series of workspaces other than `default` carry a `workspace` label; the `default` workspace's keep
 * their unlabelled names (dashboards and alerts written before workspaces keep working).
 */
function byWorkspace(workspace: string): { workspace?: string } {
  return workspace === DEFAULT_WORKSPACE ? {} : { workspace };
}

export function createMetrics(services: WorkspaceServices): ServerMetrics {
  const service = services.default;
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: "caxton_http_requests_total",
    help: "HTTP requests answered, by route (method and path pattern) and status",
    labelNames: ["route", "status"] as const,
    registers,
  });
  const received = new Counter({
    name: "caxton_http_received_bytes_total",
    help: "bytes read from clients (request heads and bodies, before decompression)",
    registers,
  });
  const deployments = new Counter({
    name: "caxton_deployments_total",
    help: "deploy and rollback requests by outcome (applied, up_to_date, dry_run, or the error code)",
    labelNames: ["kind", "outcome", "workspace"] as const,
    registers,
  });
  const deployDuration = new Histogram({
    name: "caxton_deploy_duration_seconds",
    help: "deploy and rollback requests from first byte to answer, whatever the outcome",
    labelNames: ["kind", "workspace"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers,
  });
  const applyDuration = new Histogram({
    name: "caxton_apply_duration_seconds",
    help: "staging and switching DATA/current for an applied deployment",
    labelNames: ["kind", "workspace"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const storeBytes = lazyStoreBytes(service.store.objects);
  new Gauge({
    name: "caxton_objects_stored",
    help: "objects (file contents and trees) in the object store",
    registers,
    async collect() {
      this.set(await service.store.objects.count());
    },
  });
  new Gauge({
    name: "caxton_objects_stored_bytes",
    help: `bytes of the objects in the store (summed at most once every ${STORE_SCAN_INTERVAL_MS / 1000} s)`,
    registers,
    async collect() {
      this.set(await storeBytes());
    },
  });
  new Gauge({
    name: "caxton_live_agents",
    help: "valid agents in the live deployment",
    labelNames: ["workspace"] as const,
    registers,
    async collect() {
      for (const s of services.active())
        this.set(byWorkspace(s.workspace.id), (await s.liveView())?.agents.length ?? 0);
    },
  });
  new Gauge({
    name: "caxton_live_deployment_id",
    help: "id of the live deployment (0 before the first)",
    labelNames: ["workspace"] as const,
    registers,
    async collect() {
      for (const s of services.active())
        this.set(byWorkspace(s.workspace.id), (await s.current())?.deployment_id ?? 0);
    },
  });

  // bytes read per connection so far, so that keep-alive connections are counted once per byte
  const seen = new WeakMap<Socket, number>();
  return {
    observe(done) {
      requests.inc({ route: done.route, status: String(done.res.statusCode) });
      const socket = done.req.socket;
      const total = socket.bytesRead;
      received.inc(Math.max(0, total - (seen.get(socket) ?? 0)));
      seen.set(socket, total);
      if (done.route !== DEPLOY_ROUTE && done.route !== ROLLBACK_ROUTE) return;
      const kind = done.route === DEPLOY_ROUTE ? "deploy" : "rollback";
      const note = deploymentNote(done.res);
      const ws = byWorkspace(done.workspace);
      deployments.inc({ kind, outcome: note?.outcome ?? done.error?.code ?? "aborted", ...ws });
      deployDuration.observe({ kind, ...ws }, done.durationMs / 1000);
      if (note?.outcome === "applied") applyDuration.observe({ kind, ...ws }, note.apply_ms / 1000);
    },
    async send(res) {
      const body = Buffer.from(await registry.metrics());
      res.writeHead(200, {
        "Content-Type": registry.contentType,
        "Content-Length": body.length,
        "Cache-Control": "no-store",
      });
      res.end(body);
    },
  };
}

/** The store's size, recomputed in the background when older than the interval. */
function lazyStoreBytes(objects: BlobStore): () => Promise<number> {
  let value = 0;
  let at = -Infinity;
  let running: Promise<number> | null = null;
  return async () => {
    if (performance.now() - at < STORE_SCAN_INTERVAL_MS) return value;
    running ??= objects
      .totalBytes()
      .then((bytes) => {
        value = bytes;
        at = performance.now();
        return bytes;
      })
      .finally(() => (running = null));
    return running;
  };
}
