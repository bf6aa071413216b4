/**
 * What a failed request means for the user, as one CaxtonError: a certificate this client does not trust, a
 * server that cannot be reached or dropped the connection (and whether it may have applied the request), or
 * another failure; and a peer's text made safe to print.
 */
import { CaxtonError } from "../errors/caxton-error.js";

const TLS_ERRORS = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
]);

/**
 * The server could not be reached, or (a reset after the whole request was written) the connection dropped
 * while the server had it: then `detail.connection` is "lost", and a deploy asks what is live (confirm-live.ts).
 */
function unreachable(server: string, err: NodeJS.ErrnoException, requestWritten: boolean): CaxtonError {
  const code = err.code ?? "";
  const idleMs = (err as { idleMs?: unknown }).idleMs;
  if (code === "ETIMEDOUT" && typeof idleMs === "number") {
    // a silent server may still be working on a request it received whole: a deploy then asks what is live
    return new CaxtonError(
      "E_UNREACHABLE",
      `the server at ${server} sent nothing for ${idleMs / 1000} s; gave up waiting`,
      {
        hint: "is the server stuck or overloaded? for a slow server, raise --timeout (or $CAXTON_TIMEOUT)",
        ...(requestWritten ? { detail: { connection: "lost", silentFor: idleMs / 1000 } } : {}),
      },
    );
  }
  if (code === "ECONNRESET" && requestWritten) {
    return new CaxtonError(
      "E_UNREACHABLE",
      `the connection to ${server} dropped before it answered (${code})`,
      {
        detail: { connection: "lost" },
      },
    );
  }
  if (code === "ECONNRESET" || code === "EPIPE") {
    // the server closed while the request was still being written: it cannot have applied it
    return new CaxtonError(
      "E_UNREACHABLE",
      `the connection to ${server} dropped during the request (${code}); nothing was applied`,
      {
        hint: "is the server still running? deploy again once it is",
      },
    );
  }
  return new CaxtonError("E_UNREACHABLE", `cannot reach the server at ${server} (${code})`);
}

const UNREACHABLE_CODES: readonly string[] = [
  "ECONNREFUSED",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
];

/** The error for a request that failed at the socket or TLS level (`requestWritten`: the whole body was sent). */
export function requestError(
  server: string,
  err: NodeJS.ErrnoException,
  requestWritten: boolean,
): CaxtonError {
  const code = err.code ?? "";
  if (TLS_ERRORS.has(code)) {
    return new CaxtonError(
      "E_PROTOCOL",
      `the server at ${server} has a certificate this client does not trust (${code})`,
      { hint: "for a private CA, pass --ca FILE (PEM); certificates are always verified" },
    );
  }
  if (UNREACHABLE_CODES.includes(code)) return unreachable(server, err, requestWritten);
  return new CaxtonError("E_PROTOCOL", `request to ${server} failed: ${err.message}`, { cause: err });
}

/**
 * A peer's text as one printable line: control characters (a terminal escape a hostile server could send)
 * and line breaks become spaces, and it is cut at 500 characters.
 */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").trim();
  return flat.length > 500 ? `${flat.slice(0, 500)}…` : flat;
}
