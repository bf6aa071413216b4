/** What the zstd body codec shares: its defaults and bounds, one context pool, level checks, error mapping. */
import binding from "zstd-napi/binding.js";
import { CaxtonError } from "../errors/caxton-error.js";

/**
 * Defaults for zstd-compressed HTTP bodies (Content-Encoding: zstd).
 *
 * Level 3 is zstd's default. Levels 1-19 use a window of at most 2^23 bytes when the input size is unknown
 * (zstd 1.5.7 clevels.h), which is what a streaming compressor sees; level 3 uses 2^21.
 */
export const BODY_COMPRESSION_LEVEL = 3;

/** The highest level whose frames our decoder accepts by default (windowLog 23, see BODY_WINDOW_LOG_MAX). */
export const BODY_MAX_COMPRESSION_LEVEL = 19;

/**
 * The decoder refuses frames whose window exceeds 2^23 = 8 MiB: zstd's streaming decoder allocates the window a
 * frame header declares (zstd's own default limit is 2^27 = 128 MiB), so without this a 20-byte body could make
 * the server allocate 128 MiB per request.
 */
export const BODY_WINDOW_LOG_MAX = 23;

/** Output chunk size: zstd's recommended streaming output size (ZSTD_DStreamOutSize, one block, 128 KiB). */
export const BODY_CHUNK_BYTES = 128 * 1024;

export interface ZstdDecompressOptions {
  /** Hard limit on decompressed bytes; one byte more fails with E_TOO_LARGE naming this limit. */
  maxOutputBytes: number;
  /** Largest zstd window accepted, as log2 (default BODY_WINDOW_LOG_MAX = 23, i.e. 8 MiB). */
  windowLogMax?: number;
}

/**
 * Idle zstd contexts kept for reuse. zstd-napi frees a context's native memory only when V8 collects its small
 * JS wrapper, and V8 does not see that memory: 60 fresh compression contexts (level 3, 4 MB each) grew RSS from
 * 63 MB to 257 MB, 60 fresh decompression contexts to 235 MB; one reused context of each stayed at 69 MB and
 * 94 MB. Streams take a context here and give it back when they end; contexts beyond MAX_IDLE are dropped.
 */
const MAX_IDLE = 4; // ~14 MB idle at level 3

class ContextPool<T extends binding.CCtx | binding.DCtx> {
  private readonly idle: T[] = [];
  constructor(private readonly create: () => T) {}

  acquire(): T {
    return this.idle.pop() ?? this.create();
  }

  /** Resets the context (frame, parameters, dictionary) and keeps it if there is room. */
  release(ctx: T): void {
    try {
      ctx.reset(binding.ResetDirective.sessionAndParameters);
    } catch {
      return; // a context that cannot be reset is not reused
    }
    if (this.idle.length < MAX_IDLE) this.idle.push(ctx);
  }
}

export const zstdContextPool = {
  compress: new ContextPool(() => new binding.CCtx()),
  decompress: new ContextPool(() => new binding.DCtx()),
};

/**
 * Levels 1..19 only: above 19 zstd uses windows of 2^25..2^27 bytes, which our decoders refuse by default
 * (BODY_WINDOW_LOG_MAX); negative "fast" levels are not worth their ratio on a network.
 */
export function checkBodyLevel(level: number): void {
  if (!Number.isInteger(level) || level < 1 || level > BODY_MAX_COMPRESSION_LEVEL) {
    throw new RangeError(`zstd body level must be an integer 1..${BODY_MAX_COMPRESSION_LEVEL}, got ${level}`);
  }
}

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
