import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { CaxtonError } from "../../src/errors/caxton-error.js";
import { compareNames, decodeTree, encodeTree, type TreeEntry } from "../../src/merkle/tree-object.js";
import { entriesArb, hashArb } from "./arbitraries.js";

const byUtf8 = (a: TreeEntry, b: TreeEntry): number =>
  Buffer.compare(Buffer.from(a.name, "utf8"), Buffer.from(b.name, "utf8"));

/** Runs `f` and returns the thrown value, or undefined if it returned. */
function thrown(f: () => unknown): unknown {
  try {
    f();
    return undefined;
  } catch (err) {
    return err;
  }
}

function assertOnlyCaxtonError(f: () => unknown): void {
  const err = thrown(f);
  if (err === undefined) return;
  assert.ok(err instanceof CaxtonError, `expected a CaxtonError, got ${String(err)}`);
  assert.equal(err.code, "E_BAD_REQUEST");
}

test("encodeTree/decodeTree: decode(encode(x)) is x sorted by UTF-8 bytes", () => {
  fc.assert(
    fc.property(entriesArb, (entries) => {
      const decoded = decodeTree(encodeTree(entries));
      assert.deepEqual(decoded, [...entries].sort(byUtf8));
    }),
    { numRuns: 500 },
  );
});

test("encodeTree: the bytes do not depend on the input order", () => {
  fc.assert(
    fc.property(
      entriesArb.chain((es) => fc.tuple(fc.constant(es), fc.shuffledSubarray(es, { minLength: es.length }))),
      ([entries, shuffled]) => {
        assert.ok(encodeTree(entries).equals(encodeTree(shuffled)));
      },
    ),
  );
});

test("encodeTree: names in the bytes are strictly increasing by UTF-8 bytes", () => {
  fc.assert(
    fc.property(entriesArb, (entries) => {
      const names = decodeTree(encodeTree(entries)).map((e) => Buffer.from(e.name, "utf8"));
      for (let i = 1; i < names.length; i++) {
        assert.ok(Buffer.compare(names[i - 1] as Buffer, names[i] as Buffer) < 0);
      }
    }),
  );
});

test("encodeTree: each entry is `kind SP name NUL hash32`", () => {
  const hash = "ab".repeat(32);
  const bytes = encodeTree([{ kind: "blob", name: "a.toml", hash }]);
  assert.ok(bytes.equals(Buffer.concat([Buffer.from("blob a.toml\0", "utf8"), Buffer.from(hash, "hex")])));
  assert.equal(bytes.length, "blob a.toml\0".length + 32);
});

test("UTF-8 order differs from JS string order for astral vs BMP above U+E000", () => {
  const astral = "\u{1F600}"; // F0 9F 98 80, UTF-16 D83D DE00
  const bmp = "\uFF21"; // EF BC A1, UTF-16 FF21
  // JS (UTF-16 code unit) order puts the astral char first ...
  assert.deepEqual([bmp, astral].sort(), [astral, bmp]);
  // ... UTF-8 byte order puts the BMP char first, and the tree follows UTF-8
  assert.ok(compareNames(bmp, astral) < 0);
  assert.ok(compareNames(astral, bmp) > 0);
  const h = "11".repeat(32);
  const entries: TreeEntry[] = [
    { kind: "blob", name: astral, hash: h },
    { kind: "tree", name: bmp, hash: h },
  ];
  assert.deepEqual(
    decodeTree(encodeTree(entries)).map((e) => e.name),
    [bmp, astral],
  );
  // an object written in JS string order is not canonical and is refused
  const jsOrder = Buffer.concat([
    Buffer.from(`blob ${astral}\0`, "utf8"),
    Buffer.from(h, "hex"),
    Buffer.from(`tree ${bmp}\0`, "utf8"),
    Buffer.from(h, "hex"),
  ]);
  const err = thrown(() => decodeTree(jsOrder));
  assert.ok(err instanceof CaxtonError);
  assert.equal(err.code, "E_BAD_REQUEST");
});

test("compareNames agrees with UTF-8 byte order, not with JS order, on random names", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (a, b) => {
      const expected = Math.sign(Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8")));
      assert.equal(Math.sign(compareNames(a, b)), expected);
      // UTF-8 byte order equals code point order
      const cpa = [...a].map((c) => c.codePointAt(0) as number);
      const cpb = [...b].map((c) => c.codePointAt(0) as number);
      let cp = 0;
      for (let i = 0; i < Math.min(cpa.length, cpb.length) && cp === 0; i++) {
        cp = Math.sign((cpa[i] as number) - (cpb[i] as number));
      }
      if (cp === 0) cp = Math.sign(cpa.length - cpb.length);
      assert.equal(expected, cp);
    }),
    { numRuns: 500 },
  );
});

test("encodeTree refuses duplicate names", () => {
  const h = "22".repeat(32);
  const err = thrown(() =>
    encodeTree([
      { kind: "blob", name: "a", hash: h },
      { kind: "tree", name: "a", hash: h },
    ]),
  );
  assert.ok(err instanceof CaxtonError);
  assert.equal(err.code, "E_BAD_REQUEST");
});

test("decodeTree: the empty object is the empty directory", () => {
  assert.deepEqual(decodeTree(new Uint8Array(0)), []);
  assert.equal(encodeTree([]).length, 0);
});

test("decodeTree works on a Uint8Array view into a larger buffer", () => {
  fc.assert(
    fc.property(
      entriesArb,
      fc.uint8Array({ maxLength: 8 }),
      fc.uint8Array({ maxLength: 8 }),
      (es, pre, post) => {
        const bytes = encodeTree(es);
        const big = new Uint8Array(pre.length + bytes.length + post.length);
        big.set(pre, 0);
        big.set(bytes, pre.length);
        big.set(post, pre.length + bytes.length);
        const view = new Uint8Array(big.buffer, pre.length, bytes.length);
        assert.deepEqual(decodeTree(view), decodeTree(bytes));
      },
    ),
  );
});

test("decodeTree on random bytes throws only CaxtonError", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => assertOnlyCaxtonError(() => decodeTree(bytes))),
    { numRuns: 2000 },
  );
});

test("decodeTree on random text-ish bytes (kinds, separators) throws only CaxtonError", () => {
  const piece = fc.oneof(
    fc.constantFrom(
      "blob ",
      "tree ",
      "blob",
      "tree",
      " ",
      "\0",
      "/",
      "..",
      ".",
      "\\",
      "\x01",
      "a",
      "\u{1F600}",
    ),
    fc.string({ unit: "binary", maxLength: 4 }),
  );
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          piece.map((s) => Buffer.from(s, "utf8")),
          fc.uint8Array({ minLength: 32, maxLength: 32 }).map(Buffer.from),
        ),
      ),
      (parts) => assertOnlyCaxtonError(() => decodeTree(Buffer.concat(parts))),
    ),
    { numRuns: 2000 },
  );
});

type Mutation =
  | { op: "flip"; at: number; xor: number }
  | { op: "delete"; at: number; len: number }
  | { op: "insert"; at: number; bytes: Uint8Array }
  | { op: "truncate"; at: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant("flip" as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ op: fc.constant("delete" as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }),
  fc.record({
    op: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 40 }),
      fc.constantFrom(Uint8Array.of(0), Uint8Array.of(0x20), Uint8Array.of(0xff), Uint8Array.of(0x2f)),
    ),
  }),
  fc.record({ op: fc.constant("truncate" as const), at: fc.nat() }),
);

function mutate(bytes: Buffer, m: Mutation): Buffer {
  if (bytes.length === 0) return m.op === "insert" ? Buffer.from(m.bytes) : bytes;
  const at = m.at % bytes.length;
  switch (m.op) {
    case "flip": {
      const copy = Buffer.from(bytes);
      copy[at] = (copy[at] as number) ^ m.xor;
      return copy;
    }
    case "delete":
      return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + m.len)]);
    case "insert":
      return Buffer.concat([bytes.subarray(0, at), m.bytes, bytes.subarray(at)]);
    case "truncate":
      return bytes.subarray(0, at);
  }
}

test("decodeTree on mutated valid objects throws only CaxtonError, and whatever it accepts is canonical", () => {
  fc.assert(
    fc.property(entriesArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (entries, mutations) => {
      let bytes = encodeTree(entries);
      for (const m of mutations) bytes = mutate(bytes, m);
      let decoded: TreeEntry[];
      try {
        decoded = decodeTree(bytes);
      } catch (err) {
        assert.ok(err instanceof CaxtonError, `expected a CaxtonError, got ${String(err)}`);
        assert.equal(err.code, "E_BAD_REQUEST");
        return;
      }
      // accepted bytes are the canonical encoding of what they decode to
      assert.ok(encodeTree(decoded).equals(bytes));
    }),
    { numRuns: 2000 },
  );
});

test("decodeTree: table of malformed objects", () => {
  const h = Buffer.from("33".repeat(32), "hex");
  const entry = (kind: string, name: string | Buffer): Buffer =>
    Buffer.concat([Buffer.from(kind + " ", "latin1"), Buffer.from(name), Buffer.of(0), h]);
  const cases: [string, Buffer][] = [
    ["no separator", Buffer.from("blob")],
    ["unknown kind", entry("file", "a")],
    ["upper-case kind", entry("BLOB", "a")],
    ["no NUL", Buffer.from("blob a")],
    ["truncated hash", entry("blob", "a").subarray(0, -1)],
    ["empty name", entry("blob", "")],
    ["dot", entry("tree", ".")],
    ["dot dot", entry("tree", "..")],
    ["slash in name", entry("blob", "a/b")],
    ["backslash in name", entry("blob", "a\\b")],
    ["control char", entry("blob", "a\x01")],
    ["DEL", entry("blob", "a\x7f")],
    ["invalid UTF-8", entry("blob", Buffer.from([0x66, 0xff]))],
    ["overlong UTF-8", entry("blob", Buffer.from([0xc0, 0xaf]))],
    ["UTF-8 surrogate", entry("blob", Buffer.from([0xed, 0xa0, 0x80]))],
    ["duplicate", Buffer.concat([entry("blob", "a"), entry("tree", "a")])],
    ["unsorted", Buffer.concat([entry("blob", "b"), entry("blob", "a")])],
    ["trailing byte", Buffer.concat([entry("blob", "a"), Buffer.of(0x20)])],
  ];
  for (const [what, bytes] of cases) {
    const err = thrown(() => decodeTree(bytes));
    assert.ok(err instanceof CaxtonError, `${what}: expected a CaxtonError, got ${String(err)}`);
    assert.equal(err.code, "E_BAD_REQUEST", what);
  }
});

test("hash hex round-trips in lowercase", () => {
  fc.assert(
    fc.property(hashArb, (hash) => {
      const [e] = decodeTree(encodeTree([{ kind: "blob", name: "f", hash }]));
      assert.equal(e?.hash, hash);
    }),
  );
});
