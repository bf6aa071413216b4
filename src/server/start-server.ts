/**
 * Starts `caxton serve`: opens (and recovers) the data dir, listens over HTTP or HTTPS, authenticates with a
 * bearer token when one is configured, times out stalled clients, and shuts down gracefully on SIGTERM.
 */
import { createServer as createHttp, type Server } from "node:http";
import { createServer as createHttps } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { CaxtonError } from "../errors/caxton-error.js";
import type { DurabilityPort } from "../store/durable-fs.js";
import type { TokenGrant } from "../protocol/token-grants.js";
import { isLoopback, tokenTable } from "./authenticate.js";
import type { DeployService } from "./deploy-service.js";
import { WorkspaceServices } from "./workspace-services.js";
import { DEFAULT_LIMITS, type ServerLimits } from "./server-limits.js";
import { createRequestHandler } from "./http-server.js";
import { openFileStore } from "../store/file-store.js";
import { openPgStore } from "../store/postgres/pg-store.js";
import { loadDashboard } from "./dashboard-assets.js";
import { createMetrics } from "./metrics.js";
import { loadServerIdentity } from "./server-identity.js";
import { operatorRoutes } from "./operator-routes.js";
import { logRequest, type Logger } from "./request-log.js";

export interface StartOptions {
  dataDir: string;
  host: string;
  port: number;
  limits?: Partial<ServerLimits>;
  durability?: DurabilityPort;
  /** the request log and the server's notices; none: silent */
  logger?: Logger;
  /** the bearer tokens and their scopes (protocol/token-grants.ts); none: no authentication (loopback only) */
  tokens?: readonly TokenGrant[];
  tls?: { cert: Buffer; key: Buffer } | null;
  /** a client that sends nothing for this long is disconnected (its upload is discarded) */
  idleTimeoutMs?: number;
  /**
   * PostgreSQL connection URL: the deployment state lives in that database, shared with other replicas, and
   * `dataDir` holds only this replica's materialized `current` and caches (docs/scale-out.md)
   */
  database?: string | null;
}

export interface RunningServer {
  url: string;
  /** the `default` workspace's */
  service: DeployService;
  services: WorkspaceServices;
  close(): Promise<void>;
}

export async function startServer(options: StartOptions): Promise<RunningServer> {
  const tokens = tokenTable(options.tokens ?? []);
  if (!tokens && !isLoopback(options.host)) {
    throw new CaxtonError("E_USAGE", `refusing to listen on ${options.host} without a token`, {
      hint: "anyone who can reach the port could deploy: create one with `caxton token create FILE` and pass --token-file FILE",
    });
  }
  const pgStore = options.database
    ? await openPgStore({
        url: options.database,
        dataDir: options.dataDir,
        ...(options.durability ? { durability: options.durability } : {}),
        ...(options.logger ? { log: (line: string) => options.logger?.log("warn", line) } : {}),
      })
    : null;
  const store = pgStore ?? openFileStore(options.dataDir, options.durability);
  const services = new WorkspaceServices(store, { ...DEFAULT_LIMITS, ...options.limits });
  const service = services.default;
  const { logger } = options;
  if (logger) services.log = (line) => logger.log("warn", line);
  await service.events.start();
  const metrics = createMetrics(services);
  const handler = createRequestHandler({
    services,
    // replicas on one database are one server to clients: the id is the replica set's
    serverId: pgStore ? pgStore.serverId : loadServerIdentity(options.dataDir),
    tokens,
    // unexpected exceptions, with their stack
    log: (line) => logger?.log("error", line.replace(/^error: /, "")),
    extraRoutes: operatorRoutes(services, loadDashboard(), metrics),
    onFinished: (done) => {
      metrics.observe(done);
      if (logger) logRequest(logger, done);
    },
  });
  const server: Server = options.tls
    ? createHttps({ cert: options.tls.cert, key: options.tls.key }, handler)
    : createHttp(handler);
  server.keepAliveTimeout = 5_000;
  // a stalled client is cut off; its transaction's temp files are removed, and it never held the deploy lock
  server.requestTimeout = 0; // large uploads may take long; idleness is what we bound
  server.headersTimeout = 30_000;
  const idle = options.idleTimeoutMs ?? 60_000;
  // server.timeout, not socket.setTimeout: Node resets a keep-alive socket's timeout to server.timeout at
  // each new request, so only this bounds idleness on every request of a connection
  server.timeout = idle;
  server.on("timeout", (socket: Socket) => socket.destroy());
  // malformed HTTP gets a JSON error like everything else, not a bare 400
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || err.code === "ECONNRESET") {
      socket.destroy();
      return;
    }
    const body = JSON.stringify({
      error: {
        code: "E_BAD_REQUEST",
        message: `malformed HTTP request (${err.code ?? "parse error"})`,
        hint: null,
      },
    });
    socket.end(
      `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        new CaxtonError(
          "E_USAGE",
          `cannot listen on ${options.host}:${options.port}: ${err.code ?? err.message}`,
          {
            hint:
              err.code === "EADDRINUSE"
                ? "another process uses that port; pick another with --listen"
                : undefined,
          },
        ),
      ),
    );
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `${options.tls ? "https" : "http"}://${host}:${address.port}`,
    service,
    services,
    close: () =>
      new Promise<void>((resolve) => {
        services.closeStreams();
        server.close(() => void services.close().then(resolve));
        server.closeIdleConnections();
      }),
  };
}
