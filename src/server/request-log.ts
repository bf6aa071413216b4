/**
 * The server's log: one line per request and per notable event, as JSON (one object per line, for log
 * shippers) or as text (for a person at a terminal). A request line carries time, level, request id, route,
 * status, duration and client address; a deploy's also its deployment id, root, counts and who deployed.
 * Nothing here reads the Authorization header, so a token cannot reach the log.
 */
import type { FinishedRequest } from "./http-server.js";
import { roundMs } from "../protocol/round-ms.js";
import { deploymentNote } from "./request-notes.js";

export const LOG_FORMATS = ["json", "text"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export const LOG_LEVELS = ["info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  log(level: LogLevel, message: string, fields?: LogFields): void;
}

/** Fields a text request line already shows in its message. */
const IN_TEXT_MESSAGE = new Set(["method", "path", "route", "status", "duration_ms"]);

/** JSON when the output is not a terminal (a supervisor or a shipper reads it), text when a person does. */
export function defaultLogFormat(stdoutIsTty: boolean): LogFormat {
  return stdoutIsTty ? "text" : "json";
}

export function createLogger(format: LogFormat, write: (line: string) => void): Logger {
  return {
    log(level, message, fields = {}) {
      const time = new Date().toISOString();
      if (format === "json") {
        write(`${JSON.stringify({ time, level, msg: message, ...definedOnly(fields) })}\n`);
        return;
      }
      const extra = Object.entries(definedOnly(fields))
        .filter(([k]) => !IN_TEXT_MESSAGE.has(k))
        .map(([k, v]) => `${k}=${typeof v === "string" && /\s/.test(v) ? JSON.stringify(v) : String(v)}`)
        .join(" ");
      write(`${time} ${level === "info" ? "" : `${level}: `}${message}${extra ? ` ${extra}` : ""}\n`);
    },
  };
}

/** The request line: `GET /api/v1/agents 200 1.2ms` in text, with the fields as keys in JSON. */
export function logRequest(logger: Logger, done: FinishedRequest): void {
  const note = deploymentNote(done.res);
  const status = done.res.statusCode;
  const ms = roundMs(done.durationMs);
  const fields: LogFields = {
    request_id: done.requestId,
    method: done.req.method ?? "",
    path: done.path,
    route: done.route,
    status,
    duration_ms: ms,
    client: done.req.socket.remoteAddress ?? null,
    error: done.error?.code,
  };
  if (note) {
    Object.assign(fields, {
      deployment_id: note.deployment_id,
      kind: note.kind,
      outcome: note.outcome,
      root: note.root,
      added: note.added,
      modified: note.modified,
      deleted: note.deleted,
      deployed_by: note.deployed_by,
    });
  }
  // an unexpected exception is logged at "error" on its own, with its stack; the request line only warns
  const level: LogLevel = status >= 500 ? "warn" : "info";
  logger.log(level, `${done.req.method} ${done.path} ${status} ${ms.toFixed(1)}ms`, fields);
}

function definedOnly(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[k] = v;
  return out;
}
