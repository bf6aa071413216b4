import { CaxtonError } from "../errors/caxton-error.js";
import { BODY_WINDOW_LOG_MAX } from "./zstd-body-defaults.js";

/**
 * Turns an error thrown by zstd-napi (a plain Error carrying ZSTD_getErrorName) into a CaxtonError a server can
 * answer with and a client can report: checksum failures, frames needing too large a window, everything else.
 */
export function zstdErrorToCaxton(err: unknown, windowLogMax = BODY_WINDOW_LOG_MAX): CaxtonError {
  if (err instanceof CaxtonError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (message.includes("doesn't match checksum")) {
    return new CaxtonError("E_CHECKSUM_MISMATCH", `zstd body fails its checksum: ${message}`, {
      hint: "the body was corrupted in transit; try again",
      cause: err,
    });
  }
  if (message.includes("Frame requires too much memory")) {
    return new CaxtonError(
      "E_TOO_LARGE",
      `zstd frame needs a window over the limit of ${2 ** windowLogMax} bytes (windowLog ${windowLogMax}): ${message}`,
      { detail: { windowLogMax }, hint: "compress with zstd level 19 or lower", cause: err },
    );
  }
  return new CaxtonError("E_BAD_REQUEST", `zstd body is corrupt: ${message}`, { cause: err });
}
