/** `caxton serve --data-dir DIR [--listen HOST:PORT]` */
import { CaxtonError } from "../../errors/caxton-error.js";
import { startServer } from "../../server/start-server.js";
import { faultInjectionFromEnv } from "../../server/fault-injection.js";
import { parseCommandArgs } from "../parse-args.js";

const USAGE = `usage: caxton serve --data-dir DIR [--listen HOST:PORT] [--keep N] [--gc-grace SECONDS] [--quiet]

Runs the deployment server. DIR holds the object store, the history, the transaction log and DIR/current,
the live configuration as plain files. Default listen address 127.0.0.1:8080; port 0 picks a free port.
The first line printed is \`listening on http://HOST:PORT\`. --keep N keeps the newest N deployments for
rollback (default 50); older ones and the content only they used are garbage-collected, except content
written less than --gc-grace seconds ago (default 3600), which an upload in flight may still need.
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    argv,
    {
      "data-dir": { type: "string" },
      listen: { type: "string" },
      quiet: { type: "boolean", short: "q" },
      keep: { type: "string" },
      "gc-grace": { type: "string" },
    },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const dataDir = values["data-dir"] ?? process.env.CAXTON_DATA_DIR;
  if (!dataDir) throw new CaxtonError("E_USAGE", "--data-dir is required", { hint: USAGE.split("\n")[0] });
  const { host, port } = parseListen(values.listen ?? "127.0.0.1:8080");
  const grace = values["gc-grace"] === undefined ? undefined : Number(values["gc-grace"]);
  if (grace !== undefined && !(grace >= 0)) {
    throw new CaxtonError("E_USAGE", `--gc-grace takes seconds (>= 0), got ${values["gc-grace"]}`);
  }
  const keep = values.keep === undefined ? undefined : Number(values.keep);
  if (keep !== undefined && (!Number.isInteger(keep) || keep < 1)) {
    throw new CaxtonError("E_USAGE", `--keep takes a positive number of deployments, got ${values.keep}`);
  }
  const log = values.quiet
    ? undefined
    : (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  const server = await startServer({
    dataDir,
    host,
    port,
    ...(log ? { log } : {}),
    durability: faultInjectionFromEnv(process.env),
    limits: {
      ...(keep ? { keepDeployments: keep } : {}),
      ...(grace !== undefined ? { gcGraceMs: grace * 1000 } : {}),
    },
  });
  process.stdout.write(`listening on ${server.url}\n`);
  const { recovery } = server.service;
  if (log && (recovery.aborted.length || recovery.committed.length || recovery.removedTemp.length)) {
    log(`recovered: ${JSON.stringify(recovery)}`);
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      log?.(`${signal}: shutting down`);
      void server.close().then(resolve);
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  return 0;
}

function parseListen(value: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m?.[1] || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CaxtonError("E_USAGE", `--listen must be HOST:PORT, got ${value}`);
  }
  return { host: m[1].replace(/^\[|\]$/g, ""), port };
}
