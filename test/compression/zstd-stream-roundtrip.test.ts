import { test } from "node:test";
import assert from "node:assert/strict";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import fc from "fast-check";
import binding from "zstd-napi/binding.js";
import { createZstdCompressStream, zstdCompressSync } from "../../src/compression/zstd-compress.js";
import {
  zstdDecompressChunks,
  createZstdDecompressStream,
  zstdDecompressSync,
} from "../../src/compression/zstd-decompress.js";

const LIMIT = { maxOutputBytes: 64 * 1024 * 1024 };

/** Splits bytes at the given relative cut points. */
function split(data: Uint8Array, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => Math.floor(c * data.length)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let from = 0;
  for (const at of [...points, data.length]) {
    parts.push(Buffer.from(data.subarray(from, at)));
    from = at;
  }
  return parts;
}

async function collect(readable: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of readable) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function compressChunks(parts: Uint8Array[], level?: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await pipeline(
    Readable.from(parts),
    createZstdCompressStream(level === undefined ? {} : { level }),
    new Writable({
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk);
        done();
      },
    }),
  );
  return Buffer.concat(chunks);
}

/** Random bytes mixed with runs, so both compressible and incompressible stretches occur. */
const bodyArb = fc
  .array(
    fc.oneof(
      fc.uint8Array({ maxLength: 3000 }),
      fc
        .record({ byte: fc.integer({ min: 0, max: 255 }), n: fc.nat(200_000) })
        .map(({ byte, n }) => new Uint8Array(n).fill(byte)),
    ),
    { maxLength: 8 },
  )
  .map((parts) => Buffer.concat(parts));
const cutsArb = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 });

test("property: stream decompress(stream compress(x)) = x for any chunking on both sides", async () => {
  await fc.assert(
    fc.asyncProperty(bodyArb, cutsArb, cutsArb, async (body, inCuts, wireCuts) => {
      const compressed = await compressChunks(split(body, inCuts));
      const decoded = await collect(zstdDecompressChunks(Readable.from(split(compressed, wireCuts)), LIMIT));
      assert.ok(decoded.equals(body));
      const viaDuplex = await collect(
        Readable.from(split(compressed, wireCuts)).pipe(createZstdDecompressStream(LIMIT)),
      );
      assert.ok(viaDuplex.equals(body));
    }),
    { numRuns: 60 },
  );
});

test("property: sync helpers round trip, and interoperate with the streaming ones", async () => {
  await fc.assert(
    fc.asyncProperty(bodyArb, fc.integer({ min: 1, max: 9 }), async (body, level) => {
      const oneShot = zstdCompressSync(body, level);
      assert.ok(zstdDecompressSync(oneShot, LIMIT).equals(body));
      assert.ok((await collect(zstdDecompressChunks(Readable.from([oneShot]), LIMIT))).equals(body));
      assert.ok(zstdDecompressSync(await compressChunks([body], level), LIMIT).equals(body));
    }),
    { numRuns: 40 },
  );
});

test("concatenated frames decode to the concatenation; an empty body decodes to nothing", async () => {
  const a = Buffer.from("first frame ".repeat(100));
  const b = Buffer.from("second frame ".repeat(50));
  const both = Buffer.concat([zstdCompressSync(a), await compressChunks([b])]);
  assert.ok(zstdDecompressSync(both, LIMIT).equals(Buffer.concat([a, b])));
  assert.equal(zstdDecompressSync(new Uint8Array(0), LIMIT).length, 0);
  assert.ok(zstdDecompressSync(zstdCompressSync(new Uint8Array(0)), LIMIT).equals(Buffer.alloc(0)));
  assert.ok((await compressChunks([])).length > 0, "an empty stream is still one (empty) frame");
  assert.equal(zstdDecompressSync(await compressChunks([]), LIMIT).length, 0);
});

test("every body carries a checksum (Frame_Header_Descriptor bit 2)", async () => {
  const streamed = await compressChunks([Buffer.from("hello")]);
  assert.equal((streamed[4] ?? 0) & 0x04, 0x04);
  assert.equal((zstdCompressSync(Buffer.from("hello"))[4] ?? 0) & 0x04, 0x04);
});

test("level 19 streams (window 2^23 when the size is unknown) decode with the default window limit", async () => {
  const body = Buffer.alloc(3 * 1024 * 1024);
  for (let i = 0; i < body.length; i++) body[i] = (i * 2654435761) >>> 27;
  const compressed = await compressChunks(split(body, [0.3, 0.6]), 19);
  assert.equal(
    binding.getFrameContentSize(compressed),
    null,
    "streamed: size unknown, window from the level",
  );
  assert.ok(zstdDecompressSync(compressed, LIMIT).equals(body));
  assert.throws(() => createZstdCompressStream({ level: 20 }), RangeError);
  assert.throws(() => zstdCompressSync(body, 0), RangeError);
});

test("many streams in a row reuse pooled contexts (RSS stays flat)", async () => {
  const body = Buffer.alloc(2 * 1024 * 1024, 1);
  for (let i = 0; i < 5; i++) await compressChunks([body]); // warm the pool
  const before = process.memoryUsage().rss;
  for (let i = 0; i < 60; i++) {
    const compressed = await compressChunks([body]);
    await collect(zstdDecompressChunks(Readable.from([compressed]), LIMIT));
  }
  const growth = process.memoryUsage().rss - before;
  // Measured without the pool: +190 MB for 60 compress contexts alone.
  assert.ok(growth < 60 * 1024 * 1024, `RSS grew ${Math.round(growth / 1e6)} MB`);
});
