/**
 * A deploy's precondition on what is live, as the request headers carry it: the deployment with this root
 * (`If-Match: "<root>"`), nothing deployed yet (`If-None-Match: *`), or none (null: an unconditional deploy).
 */
import { CaxtonError } from "../errors/caxton-error.js";

export type IfMatch = { live: "root"; root: string } | { live: "nothing" } | null;

/** The request headers for `ifMatch`. */
export function ifMatchHeaders(ifMatch: IfMatch): Record<string, string> {
  if (ifMatch === null) return {};
  return ifMatch.live === "nothing" ? { "If-None-Match": "*" } : { "If-Match": `"${ifMatch.root}"` };
}

/** The precondition a request's `If-Match` and `If-None-Match` headers state. */
export function parseIfMatch(ifMatch: string | undefined, ifNoneMatch: string | undefined): IfMatch {
  if (ifMatch === undefined) return ifNoneMatch === "*" ? { live: "nothing" } : null;
  const m = /^"([0-9a-f]{64})"$/.exec(ifMatch.trim());
  if (!m?.[1]) throw new CaxtonError("E_BAD_REQUEST", 'If-Match must be a quoted SHA-256: "<64 hex digits>"');
  return { live: "root", root: m[1] };
}
