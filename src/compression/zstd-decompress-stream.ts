import { Duplex } from "node:stream";
import type { ZstdDecompressOptions } from "./zstd-decompress-options.js";
import { zstdDecompressChunks } from "./zstd-decompress-chunks.js";

/**
 * The same as zstdDecompressChunks, as a Duplex stream for `.pipe`/`pipeline` (built with Duplex.from over the
 * async generator, so output is decoded only as the readable side is read; its buffer holds at most 16 chunks
 * of ≤ 128 KiB, Node's object-mode high-water mark). Errors are the generator's CaxtonErrors.
 */
export function createZstdDecompressStream(options: ZstdDecompressOptions): Duplex {
  return Duplex.from((source: AsyncIterable<Uint8Array | string>) => zstdDecompressChunks(source, options));
}
