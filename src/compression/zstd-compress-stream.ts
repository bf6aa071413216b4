import { Transform, type TransformCallback } from "node:stream";
import binding from "zstd-napi/binding.js";
import { BODY_CHUNK_BYTES, BODY_COMPRESSION_LEVEL } from "./zstd-body-defaults.js";
import { checkBodyLevel } from "./check-body-level.js";
import { zstdContextPool } from "./zstd-context-pool.js";

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
