import { test } from "node:test";
import assert from "node:assert/strict";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import fc from "fast-check";
import binding from "zstd-napi/binding.js";
import { zstdCompressSync } from "../../src/compression/zstd-compress.js";
import {
  zstdDecompressChunks,
  createZstdDecompressStream,
  zstdDecompressSync,
} from "../../src/compression/zstd-decompress.js";
import { CaxtonError } from "../../src/errors/caxton-error.js";
import type { ErrorCode } from "../../src/errors/error-codes.js";

function isCaxton(codes: ErrorCode[], message?: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof CaxtonError, `expected a CaxtonError, got ${String(err)}`);
    assert.ok(codes.includes(err.code), `${err.code}: ${err.message}`);
    if (message) assert.match(err.message, message);
    return true;
  };
}

async function drain(source: AsyncIterable<Buffer>): Promise<number> {
  let total = 0;
  for await (const chunk of source) total += chunk.length;
  return total;
}

const body = Buffer.alloc(300_000);
for (let i = 0; i < body.length; i++) body[i] = (i % 97) ^ (i >> 11);
const compressed = zstdCompressSync(body);

test("the output limit is exact: at the limit passes, one byte less fails with E_TOO_LARGE naming it", async () => {
  assert.ok(zstdDecompressSync(compressed, { maxOutputBytes: body.length }).equals(body));
  assert.throws(
    () => zstdDecompressSync(compressed, { maxOutputBytes: body.length - 1 }),
    isCaxton(["E_TOO_LARGE"], new RegExp(`limit of ${body.length - 1} bytes`)),
  );
  await assert.rejects(
    drain(zstdDecompressChunks(Readable.from([compressed]), { maxOutputBytes: body.length - 1 })),
    isCaxton(["E_TOO_LARGE"], new RegExp(`${body.length - 1}`)),
  );
  assert.throws(() => zstdDecompressSync(compressed, { maxOutputBytes: 0 }), isCaxton(["E_TOO_LARGE"]));
  assert.throws(() => zstdDecompressSync(compressed, { maxOutputBytes: -1 }), RangeError);
});

test("the Duplex stream fails a pipeline with the same CaxtonError", async () => {
  await assert.rejects(
    pipeline(
      Readable.from([compressed]),
      createZstdDecompressStream({ maxOutputBytes: 1000 }),
      new Writable({ write: (_chunk, _enc, done) => done() }),
    ),
    isCaxton(["E_TOO_LARGE"], /limit of 1000 bytes/),
  );
});

test("property: every truncation of a body is rejected (E_BAD_REQUEST), streaming and sync", async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: compressed.length - 1 }), async (cut) => {
      const truncated = compressed.subarray(0, cut);
      assert.throws(
        () => zstdDecompressSync(truncated, { maxOutputBytes: 1e9 }),
        isCaxton(["E_BAD_REQUEST", "E_CHECKSUM_MISMATCH"]),
      );
      await assert.rejects(
        drain(zstdDecompressChunks(Readable.from([truncated]), { maxOutputBytes: 1e9 })),
        isCaxton(["E_BAD_REQUEST", "E_CHECKSUM_MISMATCH"]),
      );
    }),
    { numRuns: 100 },
  );
});

test("property: a corrupted body is a typed error or exactly the original", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: compressed.length - 1 }),
      fc.integer({ min: 1, max: 255 }),
      (at, xor) => {
        const corrupt = Buffer.from(compressed);
        corrupt[at] = (corrupt[at] ?? 0) ^ xor;
        let out: Buffer;
        try {
          out = zstdDecompressSync(corrupt, { maxOutputBytes: 1e9 });
        } catch (err) {
          isCaxton(["E_BAD_REQUEST", "E_CHECKSUM_MISMATCH", "E_TOO_LARGE"])(err);
          return;
        }
        assert.ok(out.equals(body));
      },
    ),
    { numRuns: 300 },
  );
});

test("garbage and trailing garbage are E_BAD_REQUEST; a checksum failure is E_CHECKSUM_MISMATCH", () => {
  const limit = { maxOutputBytes: 1e9 };
  assert.throws(
    () => zstdDecompressSync(Buffer.from("plain text, not zstd"), limit),
    isCaxton(["E_BAD_REQUEST"]),
  );
  assert.throws(
    () => zstdDecompressSync(Buffer.concat([compressed, Buffer.from("junk")]), limit),
    isCaxton(["E_BAD_REQUEST"]),
  );
  const badSum = Buffer.from(compressed);
  badSum[badSum.length - 1] = (badSum[badSum.length - 1] ?? 0) ^ 0xff;
  assert.throws(() => zstdDecompressSync(badSum, limit), isCaxton(["E_CHECKSUM_MISMATCH"]));
});

test("a frame declaring a window over 2^23 is refused with E_TOO_LARGE (zstd would allocate it)", () => {
  const frame = streamedFrame(Buffer.alloc(1000, 3), 24);
  assert.throws(
    () => zstdDecompressSync(frame, { maxOutputBytes: 1e9 }),
    isCaxton(["E_TOO_LARGE"], /window over the limit of 8388608 bytes/),
  );
  assert.ok(
    zstdDecompressSync(frame, { maxOutputBytes: 1e9, windowLogMax: 24 }).equals(Buffer.alloc(1000, 3)),
  );
});

test("a pool context survives a failed decode: the next decode works", () => {
  for (let i = 0; i < 10; i++) {
    assert.throws(() => zstdDecompressSync(compressed.subarray(0, 50), { maxOutputBytes: 1e9 }));
    assert.throws(() => zstdDecompressSync(compressed, { maxOutputBytes: 10 }));
  }
  assert.ok(zstdDecompressSync(compressed, { maxOutputBytes: 1e9 }).equals(body));
});

test("backpressure: an unread decompress stream decodes at most a few chunks of a bomb", async () => {
  const bomb = streamedFrame(Buffer.alloc(64 * 1024 * 1024), 20); // ~2 KB expanding to 64 MiB
  assert.ok(bomb.length < 10_000, `bomb is ${bomb.length} B`);
  const stream = createZstdDecompressStream({ maxOutputBytes: 1e12 });
  stream.write(bomb);
  await new Promise((resolve) => setTimeout(resolve, 100));
  // Object mode, high-water mark 16: at most 16 chunks of 128 KiB wait; nothing more is decoded.
  assert.ok(stream.readableLength <= 17, `buffered ${stream.readableLength} chunks`);
  stream.destroy();
});

/** A frame made by streaming without a pledged size, so its header carries 2^windowLog as the window. */
function streamedFrame(data: Buffer, windowLog: number): Buffer {
  const cctx = new binding.CCtx();
  cctx.setParameter(binding.CParameter.windowLog, windowLog);
  cctx.setParameter(binding.CParameter.checksumFlag, 1);
  const out = Buffer.alloc(binding.compressBound(data.length) + 1024);
  let written = 0;
  let rest: Buffer = data;
  for (const directive of [binding.EndDirective.continue, binding.EndDirective.end]) {
    for (;;) {
      const [remaining, produced, consumed] = cctx.compressStream2(out.subarray(written), rest, directive);
      written += produced;
      rest = rest.subarray(consumed);
      if (directive === binding.EndDirective.continue ? rest.length === 0 : remaining === 0) break;
    }
  }
  return out.subarray(0, written);
}
