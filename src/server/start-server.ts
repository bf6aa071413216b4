/**
 * Starts `caxton serve`: opens (and recovers) the data dir, listens over HTTP or HTTPS, authenticates with a
 * bearer token when one is configured, times out stalled clients, and shuts down gracefully on SIGTERM.
 */
import { createServer as createHttp, type Server } from "node:http";
import { createServer as createHttps } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { CaxtonError } from "../errors/caxton-error.js";
import type { DurabilityPort } from "../store/durable-fs.js";
import { isLoopback, tokenDigest } from "./authenticate.js";
import { DeployService } from "./deploy-service.js";
import { DEFAULT_LIMITS, type ServerLimits } from "./server-limits.js";
import { createRequestHandler } from "./http-server.js";
import { openFileStore } from "../store/file-store.js";
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
  /** bearer token required on every call but /health */
  token?: string | null;
  tls?: { cert: Buffer; key: Buffer } | null;
  /** a client that sends nothing for this long is disconnected (its upload is discarded) */
  idleTimeoutMs?: number;
}

export interface RunningServer {
  url: string;
  service: DeployService;
  close(): Promise<void>;
}

export async function startServer(options: StartOptions): Promise<RunningServer> {
  if (!options.token && !isLoopback(options.host)) {
    throw new CaxtonError("E_USAGE", `refusing to listen on ${options.host} without a token`, {
      hint: "anyone who can reach the port could deploy: create one with `caxton token create FILE` and pass --token-file FILE",
    });
  }
  const service = new DeployService(openFileStore(options.dataDir, options.durability), {
    ...DEFAULT_LIMITS,
    ...options.limits,
  });
  const { logger } = options;
  if (logger) service.log = (line) => logger.log("warn", line);
  const metrics = createMetrics(service);
  const handler = createRequestHandler({
    service,
    serverId: loadServerIdentity(options.dataDir),
    tokenDigest: options.token ? tokenDigest(options.token) : null,
    // unexpected exceptions, with their stack
    log: (line) => logger?.log("error", line.replace(/^error: /, "")),
    extraRoutes: operatorRoutes(service, loadDashboard(), metrics),
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
    close: () =>
      new Promise<void>((resolve) => {
        service.events.closeAll();
        server.close(() => void service.close().then(resolve));
        server.closeIdleConnections();
      }),
  };
}
