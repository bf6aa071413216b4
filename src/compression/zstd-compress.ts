/** zstd compression of request and response bodies: in one call, or as a stream. */
import binding from "zstd-napi/binding.js";
import {
  BODY_COMPRESSION_LEVEL,
  checkBodyLevel,
  zstdContextPool,
  BODY_CHUNK_BYTES,
} from "./zstd-settings.js";
import { Transform, type TransformCallback } from "node:stream";

/** Compresses a small body held in memory (JSON) into one zstd frame with content size and checksum. */
export function zstdCompressSync(data: Uint8Array, level: number = BODY_COMPRESSION_LEVEL): Buffer {
  checkBodyLevel(level);
  const cctx = zstdContextPool.compress.acquire();
  try {
    cctx.setParameter(binding.CParameter.compressionLevel, level);
    cctx.setParameter(binding.CParameter.checksumFlag, 1);
    const out = Buffer.allocUnsafe(binding.compressBound(data.length));
    const written = cctx.compress2(out, data);
    // Copy when the bound wasted much, so a tiny result does not pin a large buffer.
    return written < out.length / 2 ? Buffer.from(out.subarray(0, written)) : out.subarray(0, written);
  } finally {
    zstdContextPool.compress.release(cctx);
  }
}

export interface ZstdCompressStreamOptions {
  /** 1..19, default 3. */
  level?: number;
}

const EMPTY = Buffer.alloc(0);

/**
 * A Transform that compresses its input into one zstd frame (checksummed; content size unknown, since it
 * streams). Written over a pooled context instead of zstd-napi's CompressStream, which makes a fresh context
 * per stream whose ~3.4 MB of native memory (level 3) lingers until a GC (see zstd-context-pool.ts).
 * Memory: zstd's window (2 MiB at level 3) plus one 128 KiB output buffer; backpressure is the Writable side's.
 */
export function createZstdCompressStream(options: ZstdCompressStreamOptions = {}): Transform {
  const level = options.level ?? BODY_COMPRESSION_LEVEL;
  checkBodyLevel(level);
  return new ZstdCompressTransform(level);
}

class ZstdCompressTransform extends Transform {
  private cctx: binding.CCtx | null;
  private out = Buffer.allocUnsafe(BODY_CHUNK_BYTES);

  constructor(level: number) {
    super();
    this.cctx = zstdContextPool.compress.acquire();
    this.cctx.setParameter(binding.CParameter.compressionLevel, level);
    this.cctx.setParameter(binding.CParameter.checksumFlag, 1);
  }

  override _transform(chunk: unknown, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      // The Writable side turns strings and Uint8Arrays into Buffers (not in object mode).
      if (!(chunk instanceof Uint8Array)) throw new TypeError("zstd input must be bytes");
      this.compress(chunk, binding.EndDirective.continue);
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      this.compress(EMPTY, binding.EndDirective.end);
      this.release();
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _destroy(err: Error | null, done: (error?: Error | null) => void): void {
    this.release();
    done(err);
  }

  private compress(input: Uint8Array, directive: binding.EndDirective): void {
    const cctx = this.cctx;
    if (cctx === null) throw new Error("zstd compress stream used after it ended");
    let src = input;
    for (;;) {
      const [remaining, written, consumed] = cctx.compressStream2(this.out, src, directive);
      src = src.subarray(consumed);
      if (written > 0) {
        // A small result is copied so it does not pin 128 KiB; a large one is handed over and replaced.
        if (written < BODY_CHUNK_BYTES / 4) {
          this.push(Buffer.from(this.out.subarray(0, written)));
        } else {
          this.push(this.out.subarray(0, written));
          this.out = Buffer.allocUnsafe(BODY_CHUNK_BYTES);
        }
      }
      const done = directive === binding.EndDirective.continue ? src.length === 0 : remaining === 0;
      if (done) return;
    }
  }

  private release(): void {
    if (this.cctx !== null) {
      zstdContextPool.compress.release(this.cctx);
      this.cctx = null;
    }
  }
}
