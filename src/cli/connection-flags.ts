/** What the connection flags (--token, --token-file, --ca; declared in command-table.ts) ask for. */
import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "../client/api-client.js";
import { CaxtonError } from "../errors/caxton-error.js";
import { clientToken } from "./read-token.js";

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
