/**
 * A decompression bomb for tests: `prefix` followed by `mebibytes` MiB of zeros as one zstd frame,
 * compressed as it streams (1 GiB becomes ~32 KB), so building it never holds the expanded bytes.
 */
import { pipeline } from "node:stream/promises";
import { Readable, Writable } from "node:stream";
import { createZstdCompressStream } from "../../src/compression/zstd-compress.js";

const MiB = 1024 * 1024;

export async function zeroBomb(prefix: Buffer, mebibytes: number): Promise<Buffer> {
  const zeros = Buffer.alloc(MiB);
  const parts: Buffer[] = [];
  await pipeline(
    Readable.from(
      (function* () {
        if (prefix.length > 0) yield prefix;
        for (let i = 0; i < mebibytes; i++) yield zeros;
      })(),
    ),
    createZstdCompressStream({ level: 1 }),
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        parts.push(chunk);
        done();
      },
    }),
  );
  return Buffer.concat(parts);
}
