/** Bounded zstd decompression (a bomb fails one byte past its limit): in one call, by chunks, or as a stream. */
import binding from "zstd-napi/binding.js";
import { CaxtonError } from "../errors/caxton-error.js";
import {
  BODY_CHUNK_BYTES,
  BODY_WINDOW_LOG_MAX,
  zstdContextPool,
  zstdErrorToCaxton,
} from "./zstd-settings.js";
import type { ZstdDecompressOptions } from "./zstd-settings.js";
import { Duplex } from "node:stream";

/**
 * A push decoder for a zstd stream (any number of frames) with a hard limit on output.
 *
 * `write` is a generator that yields one output chunk (≤ 128 KiB, a fresh Buffer the caller may keep) at a
 * time and decodes the next only when asked, so a caller that consumes as it goes holds one chunk: a bomb of
 * 32 KB that expands to 1 GiB costs 128 KiB of output at a time plus zstd's window (≤ 2^windowLogMax).
 * zstd-napi's DecompressStream does not fit: it pushes everything one input chunk expands to without waiting
 * (one 64 KiB chunk of zeros frames is 2 GiB), has no output limit, and takes a fresh context per stream.
 *
 * Errors are CaxtonErrors: E_TOO_LARGE past maxOutputBytes or for a window over windowLogMax,
 * E_CHECKSUM_MISMATCH, E_BAD_REQUEST for corrupt or truncated input. After an error the decoder is closed.
 */
export class BoundedZstdDecoder {
  private dctx: binding.DCtx | null;
  private produced = 0;
  private inFrame = false;
  private readonly maxOutputBytes: number;
  private readonly windowLogMax: number;

  constructor(options: ZstdDecompressOptions) {
    if (!Number.isSafeInteger(options.maxOutputBytes) || options.maxOutputBytes < 0) {
      throw new RangeError(`maxOutputBytes must be a non-negative integer, got ${options.maxOutputBytes}`);
    }
    this.maxOutputBytes = options.maxOutputBytes;
    this.windowLogMax = options.windowLogMax ?? BODY_WINDOW_LOG_MAX;
    this.dctx = zstdContextPool.decompress.acquire();
    try {
      this.dctx.setParameter(binding.DParameter.windowLogMax, this.windowLogMax);
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** Decompressed bytes so far. */
  get outputBytes(): number {
    return this.produced;
  }

  /** Decodes `input`, yielding output chunks as they come. Stop iterating early only to abandon the stream. */
  *write(input: Uint8Array): Generator<Buffer, void, undefined> {
    let src = input;
    for (;;) {
      const dctx = this.open();
      // One byte of room past the limit, so that "exactly at the limit" passes and "one more" is seen.
      const room = Math.max(1, Math.min(BODY_CHUNK_BYTES, this.maxOutputBytes - this.produced + 1));
      const out = Buffer.allocUnsafe(room);
      let ret: number, written: number, consumed: number;
      try {
        [ret, written, consumed] = dctx.decompressStream(out, src);
      } catch (err) {
        this.close();
        throw zstdErrorToCaxton(err, this.windowLogMax);
      }
      src = src.subarray(consumed);
      this.produced += written;
      if (this.produced > this.maxOutputBytes) {
        this.close();
        throw new CaxtonError(
          "E_TOO_LARGE",
          `zstd body expands past the limit of ${this.maxOutputBytes} bytes`,
          { detail: { limit: this.maxOutputBytes } },
        );
      }
      // A call that neither read nor wrote (output drained after a frame ended) says nothing about frames.
      if (written > 0 || consumed > 0) this.inFrame = ret !== 0;
      if (written > 0) yield written === room ? out : out.subarray(0, written);
      if (src.length === 0 && written < room) return; // input used up and zstd had no more to give
      if (src.length > 0 && written === 0 && consumed === 0) {
        this.close();
        throw new CaxtonError("E_INTERNAL", "zstd made no progress decoding the body");
      }
    }
  }

  /** Declares the input complete: throws E_BAD_REQUEST if it stopped inside a frame, and frees the context. */
  end(): void {
    const truncated = this.dctx !== null && this.inFrame;
    this.close();
    if (truncated)
      throw new CaxtonError("E_BAD_REQUEST", "zstd body ends in the middle of a frame (truncated)");
  }

  /** Frees the context without checking; safe to call more than once. */
  close(): void {
    if (this.dctx !== null) {
      zstdContextPool.decompress.release(this.dctx);
      this.dctx = null;
    }
  }

  private open(): binding.DCtx {
    if (this.dctx === null) throw new Error("BoundedZstdDecoder used after end, close or an error");
    return this.dctx;
  }
}

/**
 * Decompresses a small body held in memory (a JSON request or response) with the same limits as the streaming
 * decoder. The output grows 128 KiB at a time, so a bomb fails after at most maxOutputBytes + 1 bytes, never
 * after allocating the size a frame header claims.
 */
export function zstdDecompressSync(data: Uint8Array, options: ZstdDecompressOptions): Buffer {
  const decoder = new BoundedZstdDecoder(options);
  try {
    const chunks = [...decoder.write(data)];
    decoder.end();
    return chunks.length === 1 && chunks[0] !== undefined
      ? chunks[0]
      : Buffer.concat(chunks, decoder.outputBytes);
  } finally {
    decoder.close();
  }
}

/**
 * Decompresses a zstd body as it arrives, pull-based: the next output chunk (≤ 128 KiB) is decoded only when the
 * consumer asks for it, so memory stays at one chunk plus zstd's window however far the body expands. Usable
 * directly as a `pipeline` stage: `pipeline(req, (src) => zstdDecompressChunks(src, { maxOutputBytes }), sink)`.
 * Throws CaxtonError (see BoundedZstdDecoder); the zstd context goes back to the pool however the loop ends.
 */
export async function* zstdDecompressChunks(
  source: AsyncIterable<Uint8Array | string>,
  options: ZstdDecompressOptions,
): AsyncGenerator<Buffer, void, undefined> {
  const decoder = new BoundedZstdDecoder(options);
  try {
    for await (const chunk of source) {
      if (typeof chunk === "string") throw new TypeError("zstd input must be bytes, not a string");
      yield* decoder.write(chunk);
    }
    decoder.end();
  } finally {
    decoder.close();
  }
}

/**
 * The same as zstdDecompressChunks, as a Duplex stream for `.pipe`/`pipeline` (built with Duplex.from over the
 * async generator, so output is decoded only as the readable side is read; its buffer holds at most 16 chunks
 * of ≤ 128 KiB, Node's object-mode high-water mark). Errors are the generator's CaxtonErrors.
 */
export function createZstdDecompressStream(options: ZstdDecompressOptions): Duplex {
  return Duplex.from((source: AsyncIterable<Uint8Array | string>) => zstdDecompressChunks(source, options));
}
