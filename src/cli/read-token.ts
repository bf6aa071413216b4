/**
 * Tokens: read from a file or the environment, never printed, never put in errors or the local state.
 * A token file readable by others is refused, as ssh refuses a private key with loose permissions.
 */
import { readFileSync, statSync } from "node:fs";
import { CaxtonError } from "../errors/caxton-error.js";

export const MIN_TOKEN_LENGTH = 16;

export function readTokenFile(path: string): string {
  let text: string;
  try {
    if ((statSync(path).mode & 0o077) !== 0) {
      throw new CaxtonError("E_USAGE", `token file ${path} is readable by other users`, {
        hint: `chmod 600 ${path}`,
      });
    }
    text = readFileSync(path, "utf8");
  } catch (err) {
    if (err instanceof CaxtonError) throw err;
    throw new CaxtonError(
      "E_USAGE",
      `cannot read token file ${path}: ${(err as NodeJS.ErrnoException).code ?? "error"}`,
    );
  }
  return checkToken(text.trim(), `token file ${path}`);
}

export function checkToken(token: string, where: string): string {
  if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
    throw new CaxtonError(
      "E_USAGE",
      `${where}: a token is at least ${MIN_TOKEN_LENGTH} characters without spaces`,
    );
  }
  return token;
}

/** The client's token: --token, else $CAXTON_TOKEN, else --token-file / $CAXTON_TOKEN_FILE; null if none. */
export function clientToken(flags: {
  token?: string | undefined;
  "token-file"?: string | undefined;
}): string | null {
  if (flags.token) return checkToken(flags.token, "--token");
  if (process.env.CAXTON_TOKEN) return checkToken(process.env.CAXTON_TOKEN, "$CAXTON_TOKEN");
  const file = flags["token-file"] ?? process.env.CAXTON_TOKEN_FILE;
  return file ? readTokenFile(file) : null;
}
