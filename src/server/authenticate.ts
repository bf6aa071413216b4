/**
 * Bearer-token authentication. The comparison runs in constant time over SHA-256 digests of both sides, so
 * neither the token's bytes nor its length leak through timing. The token itself is never logged or echoed.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { CaxtonError } from "../errors/caxton-error.js";

export function tokenDigest(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

export function authenticate(req: IncomingMessage, expected: Buffer | null): void {
  if (!expected) return;
  const header = req.headers.authorization ?? "";
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  const given = tokenDigest(m?.[1] ?? "");
  // evaluate both checks whatever the outcome, so the time taken does not depend on which failed
  const ok = timingSafeEqual(given, expected) && m !== null;
  if (!ok) {
    throw new CaxtonError(
      "E_UNAUTHORIZED",
      header ? "the token was not accepted" : "this server requires a token",
    );
  }
}

/** 127.0.0.0/8, ::1 and localhost: addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
