/** The flags every command that talks to a server takes: --token, --token-file, --ca. */
import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "../client/api-client.js";
import { CaxtonError } from "../errors/caxton-error.js";
import { clientToken } from "./read-token.js";

export const CONNECTION_FLAGS = {
  token: { type: "string" },
  "token-file": { type: "string" },
  ca: { type: "string" },
} as const;

export const CONNECTION_USAGE = `  --token TOKEN       bearer token (else $CAXTON_TOKEN, else --token-file / $CAXTON_TOKEN_FILE)
  --ca FILE           trust this CA (PEM) for an https:// server, besides the system's`;

export function connectionFrom(values: {
  token?: string;
  "token-file"?: string;
  ca?: string;
}): ConnectionOptions {
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
  return { token: clientToken(values), ca };
}
