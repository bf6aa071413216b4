/**
 * The server's size limits as it announces them (`Caxton-Limits` on every authenticated answer, see
 * docs/protocol.md, kept in the local state), checked before an upload: a file the server would refuse fails
 * here, naming the file and the limit, instead of after streaming up to the refusal. Limits known from an
 * earlier deploy only steer a workspace that exceeds them to the negotiated path (whose answer has the
 * current ones); without any, the fast path's upload is the first request, and the server's early 413 is
 * read and told the same way.
 */
import { CaxtonError, isCaxtonError } from "../errors/caxton-error.js";
import type { ScanResult } from "../workspace/scan-workspace.js";

export interface ServerLimits {
  max_object_bytes?: number;
  max_files?: number;
  max_body_bytes?: number;
}

const NAMES = ["max_object_bytes", "max_files", "max_body_bytes"] as const;

/** `max_object_bytes=4294967296, max_files=1000000, ...`; unknown or malformed items are ignored. */
export function parseLimits(header: string | string[] | undefined): ServerLimits | null {
  if (typeof header !== "string" || header.length > 1000) return null;
  const out: ServerLimits = {};
  for (const item of header.split(",")) {
    const [name, value] = item.split("=").map((s) => s.trim());
    const n = Number(value);
    const known = NAMES.find((k) => k === name);
    if (known && /^\d{1,16}$/.test(value ?? "") && Number.isSafeInteger(n)) out[known] = n;
  }
  return out;
}

/** E_TOO_LARGE before sending, when the workspace exceeds a limit the server announced. */
export function checkLimits(scan: ScanResult, limits: ServerLimits | null): void {
  if (!limits) return;
  if (limits.max_files !== undefined && scan.files.size > limits.max_files) {
    throw new CaxtonError(
      "E_TOO_LARGE",
      `the workspace has ${scan.files.size} files, over the server's limit of ${limits.max_files} (max_files); nothing was sent`,
      { detail: { limit: "max_files", value: limits.max_files } },
    );
  }
  if (limits.max_object_bytes !== undefined) {
    const big = largestOver(scan, limits.max_object_bytes);
    if (big) throw fileTooLarge(big.path, big.size, limits.max_object_bytes, "nothing was sent");
  }
}

/** Whether the workspace fits the limits (unknown limits: it may). */
export function withinLimits(scan: ScanResult, limits: ServerLimits | null): boolean {
  try {
    checkLimits(scan, limits);
    return true;
  } catch (err) {
    if (isCaxtonError(err) && err.code === "E_TOO_LARGE") return false;
    throw err;
  }
}

/** The server's 413 for an object, told as the file it is: which one, how large, the limit. */
export function explainTooLarge(err: unknown, scan: ScanResult): unknown {
  if (!isCaxtonError(err) || err.code !== "E_TOO_LARGE" || err.detail?.limit !== "max_object_bytes")
    return err;
  const limit = err.detail.value;
  if (typeof limit !== "number") return err;
  const big = largestOver(scan, limit);
  return big ? fileTooLarge(big.path, big.size, limit, "nothing was applied") : err;
}

function largestOver(scan: ScanResult, limit: number): { path: string; size: number } | undefined {
  let big: { path: string; size: number } | undefined;
  for (const f of scan.files.values()) if (f.size > limit && (!big || f.size > big.size)) big = f;
  return big;
}

function fileTooLarge(path: string, size: number, limit: number, outcome: string): CaxtonError {
  return new CaxtonError(
    "E_TOO_LARGE",
    `${path}: ${size} bytes, over the server's limit of ${limit} bytes per file (max_object_bytes); ${outcome}`,
    {
      hint: "list the file in .caxtonignore, or raise the server's --max-file-bytes",
      detail: { limit: "max_object_bytes", value: limit, path, size },
    },
  );
}
