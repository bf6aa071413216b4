/**
 * Tokens: read from a file or the environment, never printed, never put in errors or the local state.
 * A token file readable by others is refused, as ssh refuses a private key with loose permissions. A file
 * holds one token a line, each with its scope (protocol/token-grants.ts): the server reads the scopes, the
 * client picks the line for the workspace it talks to and sends only the secret.
 */
import { readFileSync, statSync } from "node:fs";
import { CaxtonError } from "../errors/caxton-error.js";
import { checkSecret, parseTokenLines, type TokenGrant } from "../protocol/token-grants.js";

export { MIN_TOKEN_LENGTH } from "../protocol/token-grants.js";

/** Every token of a file, with its scope (`caxton serve --token-file`). */
export function readTokenGrants(path: string): TokenGrant[] {
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
  return parseTokenLines(text, `token file ${path}`);
}

/**
 * The secret a client sends from a token file: the line scoped to `workspace`, else the admin line, else
 * the only line (the server then says what it is for).
 */
export function readTokenFile(path: string, workspace: string | null = null): string {
  const grants = readTokenGrants(path);
  const pick =
    grants.find((g) => g.workspace !== null && g.workspace === workspace) ??
    grants.find((g) => g.workspace === null) ??
    grants[0];
  return (pick as TokenGrant).secret;
}

export function checkToken(token: string, where: string): string {
  return checkSecret(token, where);
}

/** The client's token: --token, else $CAXTON_TOKEN, else --token-file / $CAXTON_TOKEN_FILE; null if none. */
export function clientToken(
  flags: {
    token?: string | undefined;
    "token-file"?: string | undefined;
  },
  workspace: string | null = null,
): string | null {
  if (flags.token) return checkToken(flags.token, "--token");
  if (process.env.CAXTON_TOKEN) return checkToken(process.env.CAXTON_TOKEN, "$CAXTON_TOKEN");
  const file = flags["token-file"] ?? process.env.CAXTON_TOKEN_FILE;
  return file ? readTokenFile(file, workspace) : null;
}
