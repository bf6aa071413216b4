import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { CaxtonError } from "../../src/errors/caxton-error.js";
import { PackDecoder, type PackEvent, type PackLimits } from "../../src/protocol/pack-decoder.js";
import {
  encodeDeltaHead,
  encodeObjectHead,
  encodePackEnd,
  encodePackStart,
} from "../../src/protocol/pack-encoder.js";
import { MAX_HEADER_BYTES, PACK_MAGIC, PACK_VERSION } from "../../src/protocol/pack-format.js";

const LIMITS: PackLimits = { maxObjectBytes: 64 * 1024, maxObjects: 1000 };

interface PackObject {
  hash: string;
  base: string | null;
  /** the object's size (for a delta: the size of the object it rebuilds) */
  size: number;
  /** the bytes that follow the head: content, or delta bytes */
  payload: Buffer;
}

interface DecodedPack {
  header: unknown;
  objects: PackObject[];
  ended: boolean;
}

const hashArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString("hex"));

const objectArb: fc.Arbitrary<PackObject> = fc.oneof(
  fc.record({ hash: hashArb, payload: fc.uint8Array({ maxLength: 300 }) }).map(({ hash, payload }) => ({
    hash,
    base: null,
    size: payload.length,
    payload: Buffer.from(payload),
  })),
  fc
    .record({
      hash: hashArb,
      base: hashArb,
      size: fc.nat({ max: LIMITS.maxObjectBytes }),
      payload: fc.uint8Array({ maxLength: 300 }),
    })
    .map(({ hash, base, size, payload }) => ({ hash, base, size, payload: Buffer.from(payload) })),
);

// JSON.parse(JSON.stringify(x)) normalises -0 and the like, which the wire cannot carry anyway
const headerArb = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);

const packArb = fc.record({ header: headerArb, objects: fc.array(objectArb, { maxLength: 12 }) });

function encodePack(header: unknown, objects: readonly PackObject[]): Buffer {
  const parts = [encodePackStart(header)];
  for (const o of objects) {
    parts.push(
      o.base === null
        ? encodeObjectHead(o.hash, o.size)
        : encodeDeltaHead(o.hash, o.base, o.size, o.payload.length),
      o.payload,
    );
  }
  parts.push(encodePackEnd());
  return Buffer.concat(parts);
}

/** Splits `bytes` at the given cut points (taken modulo the length). */
function split(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % (bytes.length + 1))))].sort(
    (a, b) => a - b,
  );
  const chunks: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(prev, p));
    prev = p;
  }
  chunks.push(bytes.subarray(prev));
  return chunks;
}

function oneByteChunks(bytes: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i++) chunks.push(bytes.subarray(i, i + 1));
  return chunks;
}

/** Feeds chunks to a decoder and folds the events back into a pack, checking the event grammar. */
function decode(chunks: readonly Buffer[], limits: PackLimits = LIMITS): DecodedPack {
  const decoder = new PackDecoder(limits);
  const out: DecodedPack = { header: undefined, objects: [], ended: false };
  let sawHeader = false;
  let current: { obj: PackObject; data: Buffer[]; payloadSize: number } | null = null;
  const handle = (e: PackEvent): void => {
    assert.ok(!out.ended, "event after end");
    switch (e.type) {
      case "header":
        assert.ok(!sawHeader, "two headers");
        sawHeader = true;
        out.header = e.header;
        break;
      case "object":
        assert.ok(sawHeader && current === null, "object before header or inside an object");
        if (e.base === null) assert.equal(e.payloadSize, e.size);
        current = {
          obj: { hash: e.hash, base: e.base, size: e.size, payload: Buffer.alloc(0) },
          data: [],
          payloadSize: e.payloadSize,
        };
        break;
      case "data":
        assert.ok(current !== null, "data outside an object");
        assert.ok(e.chunk.length > 0, "empty data event");
        // copy: the chunk may be a view of the caller's buffer
        current.data.push(Buffer.from(e.chunk));
        break;
      case "object-end":
        assert.ok(current !== null, "object-end outside an object");
        current.obj.payload = Buffer.concat(current.data);
        assert.equal(current.obj.payload.length, current.payloadSize);
        out.objects.push(current.obj);
        current = null;
        break;
      case "end":
        assert.ok(sawHeader && current === null, "end inside an object");
        out.ended = true;
        break;
    }
  };
  for (const chunk of chunks) for (const e of decoder.push(chunk)) handle(e);
  decoder.finish();
  assert.ok(decoder.finished);
  return out;
}

function assertCaxtonError(f: () => unknown, code: string, what = ""): CaxtonError {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  assert.ok(err !== undefined, `${what}: expected an error with code ${code}, got none`);
  assert.ok(err instanceof CaxtonError, `${what}: expected a CaxtonError, got ${String(err)}`);
  assert.equal(err.code, code, `${what}: ${err.message}`);
  return err;
}

/** Pushes all chunks then finishes; returns the first error (or undefined). */
function feed(chunks: readonly Buffer[], limits: PackLimits = LIMITS): unknown {
  const decoder = new PackDecoder(limits);
  try {
    for (const c of chunks) decoder.push(c);
    decoder.finish();
    return undefined;
  } catch (err) {
    return err;
  }
}

test("pack round trip: random packs in random chunk splits decode to the same header, objects and bytes", () => {
  fc.assert(
    fc.property(packArb, fc.array(fc.nat(), { maxLength: 30 }), ({ header, objects }, cuts) => {
      const bytes = encodePack(header, objects);
      const decoded = decode(split(bytes, cuts));
      assert.deepEqual(decoded, { header, objects, ended: true });
    }),
    { numRuns: 300 },
  );
});

test("pack round trip: 1-byte chunks", () => {
  fc.assert(
    fc.property(packArb, ({ header, objects }) => {
      const bytes = encodePack(header, objects);
      assert.deepEqual(decode(oneByteChunks(bytes)), { header, objects, ended: true });
    }),
    { numRuns: 100 },
  );
});

test("pack round trip: one chunk, and empty chunks in between", () => {
  fc.assert(
    fc.property(packArb, fc.array(fc.nat(), { maxLength: 10 }), ({ header, objects }, cuts) => {
      const bytes = encodePack(header, objects);
      assert.deepEqual(decode([bytes]), { header, objects, ended: true });
      const withEmpty = split(bytes, cuts).flatMap((c) => [Buffer.alloc(0), c]);
      assert.deepEqual(decode(withEmpty), { header, objects, ended: true });
    }),
    { numRuns: 100 },
  );
});

test("pack: the decoder does not keep or alias the caller's chunk after it returns", () => {
  const payload = Buffer.from("hello world");
  const bytes = encodePack({ a: 1 }, [{ hash: "aa".repeat(32), base: null, size: payload.length, payload }]);
  for (let cut = 1; cut < bytes.length; cut++) {
    const decoder = new PackDecoder(LIMITS);
    const first = Buffer.from(bytes.subarray(0, cut));
    const events = decoder.push(first);
    // data events may be views of the chunk just pushed: the consumer uses them before the next read
    const data: Buffer[] = events.flatMap((e) => (e.type === "data" ? [Buffer.from(e.chunk)] : []));
    first.fill(0xee); // the caller reuses its read buffer
    const later = decoder.push(Buffer.from(bytes.subarray(cut)));
    data.push(...later.flatMap((e) => (e.type === "data" ? [e.chunk] : [])));
    const all = [...events, ...later].filter((e) => e.type !== "data");
    assert.deepEqual(
      all.map((e) => e.type),
      ["header", "object", "object-end", "end"],
      `cut ${cut}`,
    );
    assert.deepEqual(all[0], { type: "header", header: { a: 1 } }, `cut ${cut}`);
    assert.deepEqual(all[1], {
      type: "object",
      hash: "aa".repeat(32),
      size: 11,
      base: null,
      payloadSize: 11,
    });
    assert.deepEqual(Buffer.concat(data), payload, `cut ${cut}`);
  }
});

test("pack: an object of exactly the size limit is accepted", () => {
  const limits = { maxObjectBytes: 16, maxObjects: 2 };
  const payload = Buffer.alloc(16, 7);
  const bytes = encodePack(null, [{ hash: "bb".repeat(32), base: null, size: 16, payload }]);
  assert.equal(decode([bytes], limits).objects.length, 1);
});

test("pack hostile: random bytes throw only CaxtonError", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 10 }), (bytes, cuts) => {
      const err = feed(split(Buffer.from(bytes), cuts));
      assert.ok(err instanceof CaxtonError, `expected a CaxtonError, got ${String(err)}`);
    }),
    { numRuns: 1000 },
  );
});

test("pack hostile: random frames after a valid preamble throw only CaxtonError", () => {
  fc.assert(
    fc.property(
      headerArb,
      fc.array(
        fc.oneof(
          fc.uint8Array({ maxLength: 100 }),
          fc.constantFrom(
            Uint8Array.of(0),
            Uint8Array.of(1),
            Uint8Array.of(2),
            Uint8Array.of(3),
            Uint8Array.of(0xff),
          ),
          fc.tuple(hashArb, fc.nat({ max: 200 })).map(([h, n]) => encodeObjectHead(h, n)),
          fc
            .tuple(hashArb, hashArb, fc.nat({ max: 2 ** 20 }), fc.nat({ max: 200 }))
            .map(([h, b, n, d]) => encodeDeltaHead(h, b, n, d)),
        ),
        { maxLength: 8 },
      ),
      fc.array(fc.nat(), { maxLength: 10 }),
      (header, parts, cuts) => {
        const bytes = Buffer.concat([encodePackStart(header), ...parts.map((p) => Buffer.from(p))]);
        const err = feed(split(bytes, cuts), { maxObjectBytes: 2 ** 16, maxObjects: 4 });
        if (err !== undefined)
          assert.ok(err instanceof CaxtonError, `expected a CaxtonError, got ${String(err)}`);
      },
    ),
    { numRuns: 1000 },
  );
});

test("pack hostile: every truncation of a valid pack is an error at finish(), not before", () => {
  fc.assert(
    fc.property(packArb, fc.array(fc.nat(), { maxLength: 5 }), ({ header, objects }, cuts) => {
      const bytes = encodePack(header, objects);
      for (let len = 0; len < bytes.length; len++) {
        const decoder = new PackDecoder(LIMITS);
        for (const c of split(bytes.subarray(0, len), cuts)) decoder.push(c); // no throw while feeding
        assert.ok(!decoder.finished);
        assertCaxtonError(() => decoder.finish(), "E_BAD_REQUEST", `truncated at ${len}`);
      }
    }),
    { numRuns: 40 },
  );
});

test("pack hostile: a declared object size of 2^60 bytes is E_TOO_LARGE from the frame head alone", () => {
  for (const size of [2 ** 60, Number.MAX_SAFE_INTEGER, LIMITS.maxObjectBytes + 1]) {
    const decoder = new PackDecoder(LIMITS);
    decoder.push(encodePackStart({}));
    const before = process.memoryUsage().arrayBuffers;
    // only the 41-byte head: the decoder must refuse it without waiting for (or allocating) content
    const err = assertCaxtonError(
      () => decoder.push(encodeObjectHead("cc".repeat(32), size)),
      "E_TOO_LARGE",
      `size ${size}`,
    );
    assert.ok(
      process.memoryUsage().arrayBuffers - before < 1024 * 1024,
      "allocated memory for the declared size",
    );
    assert.match(err.message, /exceeds the limit/);
  }
  // the largest u64
  const head = encodeObjectHead("cc".repeat(32), 0);
  head.writeBigUInt64BE(2n ** 64n - 1n, 33);
  const decoder = new PackDecoder(LIMITS);
  assertCaxtonError(() => decoder.push(Buffer.concat([encodePackStart({}), head])), "E_TOO_LARGE", "u64 max");
});

test("pack hostile: a delta whose object size or delta length is above the limit is E_TOO_LARGE", () => {
  const h = "dd".repeat(32);
  for (const [size, deltaSize] of [
    [2 ** 60, 10],
    [10, 2 ** 60],
    [LIMITS.maxObjectBytes + 1, 0],
    [0, LIMITS.maxObjectBytes + 1],
  ] as const) {
    const decoder = new PackDecoder(LIMITS);
    decoder.push(encodePackStart({}));
    assertCaxtonError(
      () => decoder.push(encodeDeltaHead(h, h, size, deltaSize)),
      "E_TOO_LARGE",
      `${size}/${deltaSize}`,
    );
  }
});

test("pack hostile: too many objects is E_TOO_LARGE", () => {
  const limits = { maxObjectBytes: 100, maxObjects: 3 };
  const obj = (i: number): PackObject => ({
    hash: i.toString(16).padStart(64, "0"),
    base: null,
    size: 1,
    payload: Buffer.of(i),
  });
  assert.equal(decode([encodePack({}, [obj(1), obj(2), obj(3)])], limits).objects.length, 3);
  const bytes = encodePack({}, [obj(1), obj(2), obj(3), obj(4)]);
  assertCaxtonError(() => decode([bytes], limits), "E_TOO_LARGE");
  assertCaxtonError(() => decode(oneByteChunks(bytes), limits), "E_TOO_LARGE");
  // zero-size objects count too
  const empties = encodePack(
    {},
    [1, 2, 3, 4].map((i) => ({ ...obj(i), size: 0, payload: Buffer.alloc(0) })),
  );
  assertCaxtonError(() => decode([empties], limits), "E_TOO_LARGE", "empty objects");
});

test("pack hostile: bad magic is E_BAD_REQUEST, bad version is E_UNSUPPORTED", () => {
  const good = encodePack({ v: 1 }, []);
  const badMagic = Buffer.from(good);
  badMagic.write("CXPL", 0, "latin1");
  const err = feed([badMagic]);
  assert.ok(err instanceof CaxtonError && err.code === "E_BAD_REQUEST");
  for (const version of [0, PACK_VERSION + 1, 255]) {
    const bad = Buffer.from(good);
    bad.writeUInt8(version, 4);
    const e = feed([bad]);
    assert.ok(e instanceof CaxtonError && e.code === "E_UNSUPPORTED", `version ${version}: ${String(e)}`);
    const e1 = feed(oneByteChunks(bad));
    assert.ok(e1 instanceof CaxtonError && e1.code === "E_UNSUPPORTED");
  }
  // an HTTP request or JSON body sent to the pack endpoint
  for (const text of ["GET / HTTP/1.1\r\n\r\n", '{"objects":[]}', "\x28\xb5\x2f\xfd zstd frame"]) {
    const e = feed([Buffer.from(text)]);
    assert.ok(e instanceof CaxtonError && e.code === "E_BAD_REQUEST", text);
  }
});

test("pack hostile: a header length above 1 MiB is refused from the 9-byte preamble", () => {
  for (const len of [MAX_HEADER_BYTES + 1, 0xffffffff]) {
    const preamble = Buffer.alloc(9);
    PACK_MAGIC.copy(preamble, 0);
    preamble.writeUInt8(PACK_VERSION, 4);
    preamble.writeUInt32BE(len, 5);
    const decoder = new PackDecoder(LIMITS);
    assertCaxtonError(() => decoder.push(preamble), "E_BAD_REQUEST", `header length ${len}`);
  }
  // exactly the limit is allowed (the decoder waits for it)
  const preamble = Buffer.alloc(9);
  PACK_MAGIC.copy(preamble, 0);
  preamble.writeUInt8(PACK_VERSION, 4);
  preamble.writeUInt32BE(MAX_HEADER_BYTES, 5);
  const decoder = new PackDecoder(LIMITS);
  assert.deepEqual(decoder.push(preamble), []);
  const json = Buffer.alloc(MAX_HEADER_BYTES, 0x20);
  json[0] = 0x31; // "1" followed by spaces: valid JSON
  const events = decoder.push(json);
  assert.deepEqual(events, [{ type: "header", header: 1 }]);
});

test("pack hostile: a header that is not JSON is E_BAD_REQUEST", () => {
  for (const text of ["", "{", "undefined", "{'a':1}", "\u0000"]) {
    const json = Buffer.from(text, "utf8");
    const pre = Buffer.alloc(9);
    PACK_MAGIC.copy(pre, 0);
    pre.writeUInt8(PACK_VERSION, 4);
    pre.writeUInt32BE(json.length, 5);
    const e = feed([Buffer.concat([pre, json, encodePackEnd()])]);
    assert.ok(e instanceof CaxtonError && e.code === "E_BAD_REQUEST", JSON.stringify(text));
  }
});

test("pack hostile: an unknown frame type is E_BAD_REQUEST", () => {
  for (const type of [3, 0x7f, 0xff]) {
    const bytes = Buffer.concat([encodePackStart({}), Buffer.of(type), Buffer.alloc(100)]);
    const e = feed([bytes]);
    assert.ok(e instanceof CaxtonError && e.code === "E_BAD_REQUEST", `type ${type}`);
  }
});

test("pack hostile: bytes after the end frame are E_BAD_REQUEST (same chunk or later)", () => {
  fc.assert(
    fc.property(
      packArb,
      fc.uint8Array({ minLength: 1, maxLength: 20 }),
      fc.array(fc.nat(), { maxLength: 6 }),
      ({ header, objects }, extra, cuts) => {
        const bytes = Buffer.concat([encodePack(header, objects), extra]);
        const e = feed(split(bytes, cuts));
        assert.ok(e instanceof CaxtonError && e.code === "E_BAD_REQUEST", String(e));
      },
    ),
    { numRuns: 200 },
  );
  const done = new PackDecoder(LIMITS);
  done.push(encodePack({}, []));
  assert.ok(done.finished);
  assert.deepEqual(done.push(Buffer.alloc(0)), []); // an empty read after the end is fine
  assertCaxtonError(() => done.push(Buffer.of(0)), "E_BAD_REQUEST");
});

test("pack hostile: finish() before anything arrived is E_BAD_REQUEST", () => {
  assertCaxtonError(() => new PackDecoder(LIMITS).finish(), "E_BAD_REQUEST");
});
