/** `caxton serve --data-dir DIR [--listen HOST:PORT] …` */
import { readFileSync } from "node:fs";
import { CaxtonError } from "../../errors/caxton-error.js";
import { startServer } from "../../server/start-server.js";
import { faultInjectionFromEnv } from "../../server/fault-injection.js";
import type { ServerLimits } from "../../server/server-limits.js";
import { parseCommand } from "../parse-args.js";
import { COMMANDS } from "../command-table.js";
import { readTokenGrants } from "../read-token.js";
import { createLogger, defaultLogFormat, LOG_FORMATS, type LogFormat } from "../../server/request-log.js";

const isLogFormat = (v: string): v is LogFormat => (LOG_FORMATS as readonly string[]).includes(v);

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommand("serve", COMMANDS.serve, argv);
  const dataDir = values["data-dir"] ?? process.env.CAXTON_DATA_DIR;
  if (!dataDir)
    throw new CaxtonError("E_USAGE", "--data-dir is required", {
      hint: "usage: caxton serve --data-dir DIR [options]",
    });
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
  // repeatable; each file may hold several tokens, one a line, each with its workspace and role
  const tokens = (values["token-file"] ?? []).flatMap((file) => readTokenGrants(file));
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
    tokens,
    tls,
    database: values.database || process.env.CAXTON_DATABASE_URL || null,
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
