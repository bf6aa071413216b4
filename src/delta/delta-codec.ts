/** Making and applying binary deltas (zstd patch-from against the base); see delta/README.md. */
import binding from "zstd-napi/binding.js";
import { DELTA_MAX_BYTES } from "./delta-policy.js";
import { CaxtonError } from "../errors/caxton-error.js";

/**
 * The raw-content dictionary for a base: the base itself, minus any leading zstd dictionary magic numbers.
 *
 * Why: zstd-napi loads dictionaries in "auto" mode, where a buffer starting with 0xEC30A437 (little-endian) is
 * parsed as a trained zstd dictionary instead of raw content. A base file that happens to start with those bytes
 * made compression fail ("Allocation error : not enough memory", measured). Dropping the 4 magic bytes is
 * deterministic on both sides, copies nothing, and costs only those bytes as match source.
 */
export function deltaDictionary(base: Uint8Array): Uint8Array {
  let dict = base;
  while (dict.length >= 4 && readUint32LE(dict) === binding.MAGIC_DICTIONARY) dict = dict.subarray(4);
  return dict;
}

function readUint32LE(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
}

const { lowerBound, upperBound } = binding.cParamGetBounds(binding.CParameter.windowLog);

/**
 * zstd's windowLog for a patch-from delta: bit length of max(base, target) plus one, so the window covers the
 * whole dictionary and the whole target (base + target ≤ 2 × max < 2^(bits+1)); a smaller window cannot
 * reference the start of the base from the end of the target. Clamped to zstd's range (10..31 on 64-bit).
 */
export function deltaWindowLog(baseSize: number, targetSize: number): number {
  const largest = Math.max(baseSize, targetSize, 0);
  const bits = largest === 0 ? 0 : largest.toString(2).length;
  return Math.min(upperBound, Math.max(lowerBound, bits + 1));
}

/**
 * Level 2 ("fast" strategy) rather than zstd's default 3 ("dfast"): with long-distance matching doing the
 * long-range work, 20 MiB of pseudo-random data with 10 scattered 20-byte edits gave 2 532 B at levels 1-2 but
 * 32 480 B at levels 3-4 (2 518 B at 5-9, 2 023 B at 19 in 7 s). On text-like data levels 1-9 were within 1%
 * (5 MB text, 30% rewritten: 16 075 B at 2, 15 376 B at 3). Level 2 took 24-29 ms for 20 MiB.
 */
export const DELTA_COMPRESSION_LEVEL = 2;

/**
 * ZSTD_c_forceAttachDict (experimental, not in zstd-napi's parameter names), value ZSTD_dictForceLoad: load
 * the dictionary into the working tables instead of attaching the small prepared ones. Without it a 20 MiB file
 * with 10 edits gave a 20.4 MB delta on random data and 5.5 MB on text-like data, instead of 2.5 KB.
 */
const ZSTD_C_FORCE_ATTACH_DICT = 1001 as binding.CParameter;
const ZSTD_DICT_FORCE_LOAD = 3;

/**
 * One context for the whole process, reset after each delta. A fresh CCtx per call keeps its native memory
 * (dictionary copy and tables, invisible to V8) until a GC that may not come: 12 deltas of 20 MiB grew RSS
 * from 120 MB to 404 MB with fresh contexts, and stayed at 120 MB with one reused context.
 */
let sharedCctx: binding.CCtx | undefined;

/**
 * A delta that rebuilds `target` from `base`: one zstd frame compressed with `base` as a raw-content dictionary
 * ("patch-from"), carrying its content size and a checksum so that `applyDelta` against a wrong base fails
 * instead of producing wrong bytes. Both inputs must be at most DELTA_MAX_BYTES (check `isDeltaEligible`).
 */
export function createDelta(base: Uint8Array, target: Uint8Array): Buffer {
  if (base.length > DELTA_MAX_BYTES || target.length > DELTA_MAX_BYTES) {
    throw new RangeError(
      `createDelta: base (${base.length} B) and target (${target.length} B) must be at most ${DELTA_MAX_BYTES} B`,
    );
  }
  sharedCctx ??= new binding.CCtx();
  const cctx = sharedCctx;
  try {
    const P = binding.CParameter;
    cctx.setParameter(P.compressionLevel, DELTA_COMPRESSION_LEVEL);
    cctx.setParameter(P.windowLog, deltaWindowLog(base.length, target.length));
    cctx.setParameter(P.enableLongDistanceMatching, 1);
    cctx.setParameter(P.checksumFlag, 1);
    cctx.setParameter(P.contentSizeFlag, 1);
    cctx.setParameter(ZSTD_C_FORCE_ATTACH_DICT, ZSTD_DICT_FORCE_LOAD);
    cctx.loadDictionary(deltaDictionary(base));
    // compressBound(target) is reserved but only the written pages become resident.
    const out = Buffer.allocUnsafe(binding.compressBound(target.length));
    const written = cctx.compress2(out, target);
    return Buffer.from(out.subarray(0, written));
  } finally {
    // Drops the dictionary copy (measured: RSS back to +12 MB after a 32 MiB delta) and the parameters.
    cctx.reset(binding.ResetDirective.sessionAndParameters);
  }
}

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

function bad(message: string, reason: "size" | "format"): CaxtonError {
  return new CaxtonError("E_BAD_REQUEST", message, { detail: { reason } });
}
