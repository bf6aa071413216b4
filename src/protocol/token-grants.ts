/**
 * The token file's lines: what a bearer token may do. The server learns a token's scope only from here
 * (never from a URL or a header); the client reads the same lines and sends only the secret.
 *
 *     # comment
 *     SECRET                                 the server's admin token: every workspace, every call
 *     SECRET workspace=NAME                  deploy and read workspace NAME only
 *     SECRET workspace=NAME role=read        read workspace NAME only
 *
 * Fields after the secret are `key=value`, each at most once, in any order. Pure: no files.
 */
import { CaxtonError } from "../errors/caxton-error.js";
import { WORKSPACE_NAME_PATTERN } from "./workspace-name.js";

export const TOKEN_ROLES = ["read", "deploy"] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

export const MIN_TOKEN_LENGTH = 16;

export interface TokenGrant {
  secret: string;
  /** null: the admin token */
  workspace: string | null;
  role: TokenRole;
}

/** One token file's grants; `where` names the file in errors (never the secret). */
export function parseTokenLines(text: string, where: string): TokenGrant[] {
  const grants: TokenGrant[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const at = `${where}, line ${i + 1}`;
    const [secret = "", ...fields] = line.split(/[ \t]+/);
    checkSecret(secret, at);
    const seen = new Map<string, string>();
    for (const field of fields) {
      const m = /^(workspace|role)=(.*)$/.exec(field);
      if (!m?.[1]) throw usage(`${at}: expected workspace=NAME or role=ROLE after the token`);
      if (seen.has(m[1])) throw usage(`${at}: ${m[1]}= is given twice`);
      seen.set(m[1], m[2] ?? "");
    }
    const workspace = seen.get("workspace") ?? null;
    const role = seen.get("role") ?? "deploy";
    if (workspace !== null && !WORKSPACE_NAME_PATTERN.test(workspace))
      throw usage(`${at}: ${JSON.stringify(workspace)} is not a workspace name`);
    if (!isRole(role)) throw usage(`${at}: role must be ${TOKEN_ROLES.join(" or ")}`);
    if (workspace === null && seen.has("role"))
      throw usage(`${at}: a role needs workspace=NAME (a token without one is the admin's)`);
    grants.push({ secret, workspace, role });
  });
  if (grants.length === 0)
    throw usage(
      `${where} holds no token (a token is at least ${MIN_TOKEN_LENGTH} characters without spaces)`,
    );
  return grants;
}

/** The line `caxton token create` writes. */
export function formatTokenLine(grant: TokenGrant): string {
  return grant.workspace === null
    ? grant.secret
    : `${grant.secret} workspace=${grant.workspace} role=${grant.role}`;
}

export function checkSecret(secret: string, where: string): string {
  if (secret.length < MIN_TOKEN_LENGTH || /\s/.test(secret)) {
    throw usage(`${where}: a token is at least ${MIN_TOKEN_LENGTH} characters without spaces`);
  }
  return secret;
}

export function isRole(value: string): value is TokenRole {
  return (TOKEN_ROLES as readonly string[]).includes(value);
}

function usage(message: string): CaxtonError {
  return new CaxtonError("E_USAGE", message);
}
