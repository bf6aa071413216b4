/**
 * What the connection flags (--token, --token-file, --ca, --workspace; declared in command-table.ts) ask
 * for. `server` is what resolveServer gave: it names the server's workspace.
 */
import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "../client/api-client.js";
import { CaxtonError } from "../errors/caxton-error.js";
import { clientToken } from "./read-token.js";
import { findWorkspace, resolveServer, workspaceOfServer } from "./resolve-target.js";

export function connectionFrom(
  values: {
    token?: string;
    "token-file"?: string;
    ca?: string;
    timeout?: string;
  },
  server: string,
): ConnectionOptions {
  const workspace = workspaceOfServer(server);
  const caFile = values.ca ?? process.env.CAXTON_CA;
  let ca: Buffer | null = null;
  if (caFile) {
    try {
      ca = readFileSync(caFile);
    } catch (err) {
      throw new CaxtonError(
        "E_USAGE",
        `--ca: cannot read ${caFile}: ${(err as NodeJS.ErrnoException).code ?? "error"}`,
      );
    }
  }
  return {
    token: clientToken(values, workspace),
    ca,
    timeoutMs: idleTimeoutMs(values.timeout),
    workspace,
  };
}

/** The server and connection of a command that works from any folder (log, agents, show). */
export function apiTarget(
  values: Parameters<typeof connectionFrom>[0] & { server?: string; workspace?: string },
): [string, ConnectionOptions] {
  const server = resolveServer(values.server, findWorkspace(), values.workspace);
  return [server, connectionFrom(values, server)];
}

/** Seconds a command waits for a silent server: --timeout, else $CAXTON_TIMEOUT, else 120; 0 waits forever. */
const DEFAULT_IDLE_TIMEOUT_S = 120;

function idleTimeoutMs(flag: string | undefined): number {
  const given = flag ?? process.env.CAXTON_TIMEOUT;
  if (given === undefined || given === "") return DEFAULT_IDLE_TIMEOUT_S * 1000;
  const seconds = Number(given);
  if (!/^\d+(\.\d+)?$/.test(given.trim()) || !Number.isFinite(seconds) || seconds > 86_400) {
    throw new CaxtonError(
      "E_USAGE",
      `${flag === undefined ? "$CAXTON_TIMEOUT" : "--timeout"}: expected a number of seconds, got ${JSON.stringify(given)}`,
      { hint: "for example --timeout 30; 0 waits forever" },
    );
  }
  return Math.round(seconds * 1000);
}
