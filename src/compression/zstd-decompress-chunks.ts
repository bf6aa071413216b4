import { BoundedZstdDecoder } from "./bounded-zstd-decoder.js";
import type { ZstdDecompressOptions } from "./zstd-decompress-options.js";

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
