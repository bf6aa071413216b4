import binding from "zstd-napi/binding.js";
import { CaxtonError } from "../errors/caxton-error.js";
import { deltaDictionary } from "./delta-dictionary.js";

/** First output buffer; doubled on each retry. 1 MiB = 8 of zstd's 128 KiB streaming blocks. */
const INITIAL_OUTPUT_BYTES = 1024 * 1024;
const CHECKSUM_FLAG = 0x04; // Frame_Header_Descriptor bit 2 (RFC 8878 §3.1.1.1.1)

let sharedDctx: binding.DCtx | undefined;

/**
 * One context for the process (see create-delta.ts for why not one per call). One-shot decoding ignores
 * windowLogMax (zstd 1.5.7 checks it only in ZSTD_decompressStream, zstd_decompress.c:2231; one-shot needs no
 * window buffer), but it is set to zstd's maximum, which streaming patch-from decodes need, so a future zstd that
 * checks it in one-shot mode too still accepts every frame createDelta makes.
 */
function decoder(): binding.DCtx {
  if (sharedDctx === undefined) {
    sharedDctx = new binding.DCtx();
    sharedDctx.setParameter(
      binding.DParameter.windowLogMax,
      binding.dParamGetBounds(binding.DParameter.windowLogMax).upperBound,
    );
  }
  return sharedDctx;
}

/**
 * Rebuilds the target from `base` and a delta made by `createDelta`, or throws a CaxtonError:
 *   E_TOO_LARGE          `expectedSize` is over `maxSize`, or the delta expands past `expectedSize`;
 *   E_CHECKSUM_MISMATCH  the output fails the frame's checksum: the usual sign of a wrong base;
 *   E_BAD_REQUEST        not one well-formed zstd frame with content size and checksum, a size that disagrees
 *                        with `expectedSize`, or data zstd finds corrupt (also possible with a wrong base).
 * The caller still checks the target's hash: the checksum is 32 bits of XXH64.
 *
 * Memory: `expectedSize` is declared by the peer, so it is never allocated on trust. Decoding is one-shot into
 * a buffer that starts at 1 MiB and doubles (capped at `expectedSize`) each time zstd reports it too small, so
 * every allocation is at most twice what the delta has been seen to produce. One-shot decoding references the
 * base in place; zstd's streaming decoder would copy the base and keep a window buffer besides — measured for
 * 20 MiB into an exact buffer: +23 MB RSS one-shot vs +86 MB streaming (64 MiB: +68 vs +272). The retries
 * cost about twice the decode time and, until a GC, the smaller failed buffers: 32 MiB applies in ~31 ms with
 * +67 MB peak RSS (20 MiB: ~27 ms, +54 MB).
 */
export function applyDelta(
  base: Uint8Array,
  delta: Uint8Array,
  expectedSize: number,
  maxSize: number,
): Buffer {
  if (!Number.isSafeInteger(expectedSize) || expectedSize < 0) {
    throw bad(`delta declares an invalid size ${String(expectedSize)}`, "size");
  }
  if (expectedSize > maxSize) {
    throw new CaxtonError(
      "E_TOO_LARGE",
      `delta declares ${expectedSize} bytes, over the limit of ${maxSize} bytes for a delta target`,
      { detail: { declared: expectedSize, limit: maxSize } },
    );
  }
  checkFrame(delta, expectedSize);

  const dctx = decoder();
  const dict = deltaDictionary(base);
  let capacity = Math.min(expectedSize, INITIAL_OUTPUT_BYTES);
  for (;;) {
    const out = Buffer.allocUnsafe(capacity);
    let written: number;
    try {
      written = dctx.decompressUsingDict(out, delta, dict);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (message.includes("Destination buffer is too small")) {
        if (capacity < expectedSize) {
          capacity = Math.min(expectedSize, capacity * 2);
          continue;
        }
        throw new CaxtonError(
          "E_TOO_LARGE",
          `delta expands past its declared size of ${expectedSize} bytes`,
          {
            detail: { declared: expectedSize },
            hint: "the sender is broken or hostile; nothing was applied",
          },
        );
      }
      throw decodeError(message, err);
    }
    if (written !== expectedSize) {
      throw bad(`delta decodes to ${written} bytes, declared ${expectedSize}`, "size");
    }
    return out.subarray(0, written);
  }
}

/** Strict shape: exactly one zstd frame (no trailing bytes, no skippable frames) with size and checksum. */
function checkFrame(delta: Uint8Array, expectedSize: number): void {
  if (
    delta.length < 6 ||
    new DataView(delta.buffer, delta.byteOffset, 4).getUint32(0, true) !== binding.MAGICNUMBER
  ) {
    throw bad("delta is not a zstd frame", "format");
  }
  const descriptor = delta[4] ?? 0;
  if ((descriptor & CHECKSUM_FLAG) === 0) {
    throw bad("delta frame has no checksum, so a wrong base could not be detected", "format");
  }
  let contentSize: number | null;
  let frameSize: number;
  try {
    contentSize = binding.getFrameContentSize(delta);
    frameSize = binding.findFrameCompressedSize(delta);
  } catch (err) {
    throw decodeError(err instanceof Error ? err.message : String(err), err);
  }
  if (contentSize === null) throw bad("delta frame does not declare its content size", "format");
  if (contentSize !== expectedSize) {
    throw bad(`delta frame declares ${contentSize} bytes, the pack frame ${expectedSize}`, "size");
  }
  if (frameSize !== delta.length) {
    throw bad(`delta has ${delta.length - frameSize} bytes after its zstd frame`, "format");
  }
}

function decodeError(message: string, cause: unknown): CaxtonError {
  if (message.includes("doesn't match checksum")) {
    return new CaxtonError("E_CHECKSUM_MISMATCH", `delta does not rebuild its target: ${message}`, {
      detail: { reason: "checksum" },
      hint: "the delta was made against a different base; send the whole content",
      cause,
    });
  }
  return new CaxtonError("E_BAD_REQUEST", `delta is corrupt or truncated, or its base differs: ${message}`, {
    detail: { reason: "corrupt" },
    cause,
  });
}

function bad(message: string, reason: string): CaxtonError {
  return new CaxtonError("E_BAD_REQUEST", message, { detail: { reason } });
}
