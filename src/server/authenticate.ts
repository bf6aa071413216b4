/**
 * Bearer-token authentication and workspace scopes. The comparison runs in constant time over SHA-256
 * digests, and every configured token is compared whatever the outcome, so neither a token's bytes, its
 * length nor which one matched leak through timing. The token itself is never logged or echoed. A token's
 * scope (protocol/token-grants.ts) comes from the server's token files only.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { CaxtonError } from "../errors/caxton-error.js";
import type { TokenGrant, TokenRole } from "../protocol/token-grants.js";

/** Who is calling: the admin (every workspace; also a server without tokens) or one workspace's token. */
export type Principal = { admin: true } | { admin: false; workspace: string; role: TokenRole };

export const ADMIN: Principal = { admin: true };

/** What a request does to a workspace: read it, or change what is live (deploy, negotiate, rollback). */
export type Access = "read" | "deploy";

export interface TokenTable {
  digests: { digest: Buffer; principal: Principal }[];
}

export function tokenDigest(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

export function tokenTable(grants: readonly TokenGrant[]): TokenTable | null {
  if (grants.length === 0) return null;
  return {
    digests: grants.map((g) => ({
      digest: tokenDigest(g.secret),
      principal: g.workspace === null ? ADMIN : { admin: false, workspace: g.workspace, role: g.role },
    })),
  };
}

/** The caller's principal; E_UNAUTHORIZED without a token the table holds. No table: the admin. */
export function authenticate(req: IncomingMessage, table: TokenTable | null): Principal {
  if (!table) return ADMIN;
  const header = req.headers.authorization ?? "";
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  const given = tokenDigest(m?.[1] ?? "");
  let found: Principal | null = null;
  // compare with every token, whatever matched, so the time taken says nothing about which one did
  for (const { digest, principal } of table.digests) {
    if (timingSafeEqual(given, digest) && found === null) found = principal;
  }
  if (!found || m === null) {
    throw new CaxtonError(
      "E_UNAUTHORIZED",
      header ? "the token was not accepted" : "this server requires a token",
    );
  }
  return found;
}

/** Refuses a scoped token outside its workspace, and a read token's changes, each in one sentence. */
export function authorize(principal: Principal, workspace: string, access: Access): void {
  if (principal.admin) return;
  if (principal.workspace !== workspace) {
    throw new CaxtonError(
      "E_WRONG_WORKSPACE",
      `this token is for workspace ${JSON.stringify(principal.workspace)}, not ${JSON.stringify(workspace)}`,
    );
  }
  if (access === "deploy" && principal.role === "read") {
    throw new CaxtonError(
      "E_READ_ONLY",
      `this token is read-only: it may read workspace ${JSON.stringify(workspace)} but not deploy to it or roll it back`,
    );
  }
}

/** Server-wide operations (metrics) are the admin's. */
export function requireAdmin(principal: Principal, what: string): void {
  if (!principal.admin) {
    throw new CaxtonError(
      "E_ADMIN_ONLY",
      `${what} needs the server's admin token; this token is for workspace ${JSON.stringify(principal.workspace)}`,
    );
  }
}

/** 127.0.0.0/8, ::1 and localhost: addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
