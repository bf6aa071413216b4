/** Starts `caxton serve`: opens (and recovers) the data dir, listens, and shuts down gracefully on SIGTERM. */
import type { AddressInfo } from "node:net";
import { CaxtonError } from "../errors/caxton-error.js";
import type { DurabilityPort } from "../store/durable-fs.js";
import { DEFAULT_LIMITS, DeployService, type ServerLimits } from "./deploy-service.js";
import { createHttpServer } from "./http-server.js";

export interface StartOptions {
  dataDir: string;
  host: string;
  port: number;
  limits?: Partial<ServerLimits>;
  durability?: DurabilityPort;
  log?: (line: string) => void;
}

export interface RunningServer {
  url: string;
  service: DeployService;
  close(): Promise<void>;
}

export async function startServer(options: StartOptions): Promise<RunningServer> {
  const service = new DeployService(
    options.dataDir,
    { ...DEFAULT_LIMITS, ...options.limits },
    options.durability,
  );
  if (options.log) service.log = options.log;
  const server = createHttpServer({ service, ...(options.log ? { log: options.log } : {}) });
  server.keepAliveTimeout = 5_000;
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
    url: `http://${host}:${address.port}`,
    service,
    close: () =>
      new Promise<void>((resolve) => {
        service.events.closeAll();
        server.close(() => {
          service.close();
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
