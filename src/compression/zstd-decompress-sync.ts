import { BoundedZstdDecoder } from "./bounded-zstd-decoder.js";
import type { ZstdDecompressOptions } from "./zstd-decompress-options.js";

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
