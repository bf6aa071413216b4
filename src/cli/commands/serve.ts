/** `caxton serve --data-dir DIR [--listen HOST:PORT] …` */
import { readFileSync } from "node:fs";
import { CaxtonError } from "../../errors/caxton-error.js";
import { startServer } from "../../server/start-server.js";
import { faultInjectionFromEnv } from "../../server/fault-injection.js";
import type { ServerLimits } from "../../server/deploy-service.js";
import { parseCommandArgs } from "../parse-args.js";
import { readTokenFile } from "../read-token.js";
import { createLogger, defaultLogFormat, LOG_FORMATS, type LogFormat } from "../../server/request-log.js";

const isLogFormat = (v: string): v is LogFormat => (LOG_FORMATS as readonly string[]).includes(v);

const USAGE = `usage: caxton serve --data-dir DIR [--listen HOST:PORT] [options]

Runs the deployment server. DIR holds the object store, the history, the transaction log and DIR/current,
the live configuration as plain files. The first line printed is \`listening on URL\`. The dashboard is at
URL/, Prometheus metrics at URL/metrics, readiness at URL/ready (docs/operations.md).

  --listen HOST:PORT      default 127.0.0.1:8080; port 0 picks a free port. A non-loopback address
                          needs --token-file.
  --token-file FILE       require \`Authorization: Bearer <token>\` on every call but /health, /ready
                          and the dashboard's page (which asks for it); create one with
                          \`caxton token create FILE\`
  --tls-cert FILE --tls-key FILE   serve HTTPS
  --keep N                deployments kept for rollback (default 50); older ones are garbage-collected
  --gc-grace SECONDS      unreferenced content younger than this survives collection (default 3600)
  --max-file-bytes N      largest file accepted (default 4 GiB)
  --max-files N           most files in a deployment (default 1,000,000)
  --max-body-bytes N      largest request body after decompression (default 8 GiB)
  --idle-timeout SECONDS  disconnect a client that sends nothing for this long (default 60)
  --log-format json|text  the log on stderr: one JSON object per line (the default when stdout is not a
                          terminal) or text lines (the default on a terminal)
  --quiet                 no request log on stderr
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    argv,
    {
      "data-dir": { type: "string" },
      listen: { type: "string" },
      quiet: { type: "boolean", short: "q" },
      "log-format": { type: "string" },
      keep: { type: "string" },
      "gc-grace": { type: "string" },
      "token-file": { type: "string" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      "max-file-bytes": { type: "string" },
      "max-files": { type: "string" },
      "max-body-bytes": { type: "string" },
      "idle-timeout": { type: "string" },
    },
    USAGE,
  );
  const dataDir = values["data-dir"] ?? process.env.CAXTON_DATA_DIR;
  if (!dataDir) throw new CaxtonError("E_USAGE", "--data-dir is required", { hint: USAGE.split("\n")[0] });
  const { host, port } = parseListen(values.listen ?? "127.0.0.1:8080");
  const number = (flag: string, min: number): number | undefined => {
    const raw = (values as Record<string, string | boolean | undefined>)[flag];
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min)
      throw new CaxtonError("E_USAGE", `--${flag} takes a number >= ${min}, got ${String(raw)}`);
    return n;
  };
  const limits: Partial<ServerLimits> = {};
  const set = <K extends keyof ServerLimits>(key: K, value: number | undefined): void => {
    if (value !== undefined) limits[key] = value as ServerLimits[K];
  };
  set("keepDeployments", number("keep", 1));
  const grace = number("gc-grace", 0);
  set("gcGraceMs", grace === undefined ? undefined : grace * 1000);
  set("maxObjectBytes", number("max-file-bytes", 1));
  set("maxFiles", number("max-files", 1));
  set("maxBodyBytes", number("max-body-bytes", 1));
  const idle = number("idle-timeout", 1);
  if (Boolean(values["tls-cert"]) !== Boolean(values["tls-key"])) {
    throw new CaxtonError("E_USAGE", "--tls-cert and --tls-key go together");
  }
  const tls =
    values["tls-cert"] && values["tls-key"]
      ? {
          cert: readOrFail(values["tls-cert"], "--tls-cert"),
          key: readOrFail(values["tls-key"], "--tls-key"),
        }
      : null;
  const token = values["token-file"] ? readTokenFile(values["token-file"]) : null;
  const format = values["log-format"] ?? defaultLogFormat(process.stdout.isTTY === true);
  if (!isLogFormat(format))
    throw new CaxtonError("E_USAGE", `--log-format takes ${LOG_FORMATS.join(" or ")}, got ${format}`);
  const logger = values.quiet ? undefined : createLogger(format, (line) => process.stderr.write(line));
  const log = logger ? (line: string) => logger.log("info", line) : undefined;
  const server = await startServer({
    dataDir,
    host,
    port,
    ...(logger ? { logger } : {}),
    durability: faultInjectionFromEnv(process.env),
    limits,
    token,
    tls,
    ...(idle !== undefined ? { idleTimeoutMs: idle * 1000 } : {}),
  });
  // handlers first: a supervisor may send SIGTERM as soon as it reads the "listening on" line
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      log?.(`${signal}: shutting down`);
      void server.close().then(resolve);
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  process.stdout.write(`listening on ${server.url}\n`);
  const { recovery } = server.service.store;
  if (logger && (recovery.aborted.length || recovery.committed.length || recovery.removedTemp.length)) {
    logger.log("info", "recovered the data dir", {
      live_deployment_id: recovery.currentId,
      committed: recovery.committed.join(",") || null,
      aborted: recovery.aborted.join(",") || null,
      removed_temp: recovery.removedTemp.length,
    });
  }
  await stopped;
  return 0;
}

function readOrFail(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new CaxtonError("E_USAGE", `${flag}: cannot read ${path}: ${(err as Error).message}`);
  }
}

function parseListen(value: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m?.[1] || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CaxtonError("E_USAGE", `--listen must be HOST:PORT, got ${value}`);
  }
  return { host: m[1].replace(/^\[|\]$/g, ""), port };
}
