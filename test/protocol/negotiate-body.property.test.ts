import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { CaxtonError } from "../../src/errors/caxton-error.js";
import {
  decodeBitmap,
  decodeNegotiate,
  encodeBitmap,
  encodeNegotiate,
} from "../../src/protocol/negotiate-body.js";
import { MAX_HEADER_BYTES, NEGOTIATE_MAGIC } from "../../src/protocol/pack-format.js";

const hashArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString("hex"));
const headerArb = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);

function errorOf(f: () => unknown): unknown {
  try {
    f();
    return undefined;
  } catch (err) {
    return err;
  }
}

function assertCode(f: () => unknown, code: string, what: string): void {
  const err = errorOf(f);
  assert.ok(err instanceof CaxtonError, `${what}: expected a CaxtonError, got ${String(err)}`);
  assert.equal(err.code, code, `${what}: ${err.message}`);
}

/** A body with a raw header (any bytes) and a given declared header length. */
function rawBody(header: Buffer, declaredLength = header.length, tail: Buffer = Buffer.alloc(0)): Buffer {
  const fixed = Buffer.alloc(8);
  NEGOTIATE_MAGIC.copy(fixed, 0);
  fixed.writeUInt32BE(declaredLength, 4);
  return Buffer.concat([fixed, header, tail]);
}

test("negotiate: decode(encode(header, hashes)) gives them back", () => {
  fc.assert(
    fc.property(headerArb, fc.array(hashArb, { maxLength: 50 }), (header, hashes) => {
      const body = encodeNegotiate(header, hashes);
      assert.equal(body.length, 8 + Buffer.byteLength(JSON.stringify(header)) + 32 * hashes.length);
      assert.deepEqual(decodeNegotiate(body, hashes.length), { header, hashes });
    }),
    { numRuns: 300 },
  );
});

test("negotiate: more hashes than allowed is E_TOO_LARGE; exactly the limit is fine", () => {
  fc.assert(
    fc.property(fc.array(hashArb, { minLength: 1, maxLength: 20 }), (hashes) => {
      const body = encodeNegotiate({ root: "x" }, hashes);
      assert.equal(decodeNegotiate(body, hashes.length).hashes.length, hashes.length);
      assertCode(() => decodeNegotiate(body, hashes.length - 1), "E_TOO_LARGE", "over the limit");
    }),
  );
});

test("negotiate hostile: table", () => {
  const good = encodeNegotiate({ a: 1 }, ["ab".repeat(32)]);
  const json = Buffer.from('{"a":1}');
  const cases: [string, Buffer][] = [
    ["empty body", Buffer.alloc(0)],
    ["shorter than the fixed part", good.subarray(0, 7)],
    ["bad magic", Buffer.concat([Buffer.from("CXPK"), good.subarray(4)])],
    ["a pack sent to the negotiate endpoint", Buffer.from("CXPK\x01\x00\x00\x00\x02{}\x00")],
    ["JSON body", Buffer.from('{"hashes":[]}')],
    ["header length above 1 MiB", rawBody(json, MAX_HEADER_BYTES + 1)],
    ["header length u32 max", rawBody(json, 0xffffffff)],
    ["header length past the body", rawBody(json, json.length + 1)],
    ["header not JSON", rawBody(Buffer.from("{a:1}"))],
    ["header empty", rawBody(Buffer.alloc(0))],
    ["hash list truncated by one byte", good.subarray(0, good.length - 1)],
    ["hash list with one extra byte", Buffer.concat([good, Buffer.of(0)])],
    // the declared length cuts the JSON short: the rest is not a whole number of hashes
    ["header length too short", rawBody(json, json.length - 1)],
  ];
  for (const [what, body] of cases) assertCode(() => decodeNegotiate(body, 1000), "E_BAD_REQUEST", what);
});

test("negotiate hostile: random bytes and mutated bodies throw only CaxtonError", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
        fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.concat([NEGOTIATE_MAGIC, Buffer.from(b)])),
        fc
          .tuple(headerArb, fc.array(hashArb, { maxLength: 5 }), fc.nat(), fc.integer({ min: 1, max: 255 }))
          .map(([h, hs, at, xor]) => {
            const body = encodeNegotiate(h, hs);
            body[at % body.length] = (body[at % body.length] as number) ^ xor;
            return body;
          }),
        fc.tuple(headerArb, fc.array(hashArb, { maxLength: 5 }), fc.nat()).map(([h, hs, at]) => {
          const body = encodeNegotiate(h, hs);
          return body.subarray(0, at % body.length);
        }),
      ),
      fc.nat({ max: 10 }),
      (body, max) => {
        const err = errorOf(() => decodeNegotiate(body, max));
        if (err !== undefined)
          assert.ok(err instanceof CaxtonError, `expected a CaxtonError, got ${String(err)}`);
      },
    ),
    { numRuns: 1000 },
  );
});

test("bitmap: decodeBitmap(encodeBitmap(bits), n) gives the bits back", () => {
  fc.assert(
    fc.property(fc.array(fc.boolean(), { maxLength: 300 }), (bits) => {
      const b64 = encodeBitmap(bits);
      assert.equal(Buffer.from(b64, "base64").length, Math.ceil(bits.length / 8));
      assert.deepEqual(decodeBitmap(b64, bits.length), bits);
    }),
    { numRuns: 300 },
  );
  assert.equal(encodeBitmap([]), "");
  assert.deepEqual(decodeBitmap("", 0), []);
});

test("bitmap: bit i is bit (i mod 8) of byte i/8, least significant first", () => {
  assert.deepEqual(Buffer.from(encodeBitmap([true]), "base64"), Buffer.of(0x01));
  assert.deepEqual(
    Buffer.from(encodeBitmap([false, false, false, false, false, false, false, true, true]), "base64"),
    Buffer.of(0x80, 0x01),
  );
});

test("bitmap: a length that does not match the count is E_PROTOCOL", () => {
  fc.assert(
    fc.property(fc.array(fc.boolean(), { maxLength: 100 }), fc.integer({ min: 1, max: 3 }), (bits, more) => {
      const b64 = encodeBitmap(bits);
      const bytes = Math.ceil(bits.length / 8);
      // a count that needs more (or fewer) bytes than were sent
      assertCode(() => decodeBitmap(b64, (bytes + more) * 8), "E_PROTOCOL", "too few bytes");
      if (bytes >= 1) assertCode(() => decodeBitmap(b64, (bytes - 1) * 8), "E_PROTOCOL", "too many bytes");
    }),
  );
});
