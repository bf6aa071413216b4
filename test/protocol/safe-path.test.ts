import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { CaxtonError } from "../../src/errors/caxton-error.js";
import {
  assertSafePath,
  MAX_PATH_BYTES,
  MAX_SEGMENT_BYTES,
  pathProblem,
} from "../../src/protocol/safe-path.js";

const seg255 = "s".repeat(MAX_SEGMENT_BYTES);
/** a path of exactly `bytes` UTF-8 bytes made of 200-byte segments */
function pathOfBytes(bytes: number): string {
  const segs: string[] = [];
  let left = bytes;
  while (left > 0) {
    const n = Math.min(200, left === 201 ? 100 : left); // never leave a 0- or 1-byte tail after a '/'
    segs.push("p".repeat(n));
    left -= n + 1;
  }
  const p = segs.join("/");
  return p + "q".repeat(bytes - Buffer.byteLength(p));
}

test("pathProblem: table", () => {
  // [path, expected problem or undefined for a valid path]
  const cases: [string, RegExp | undefined][] = [
    // valid
    ["a", undefined],
    ["agents/coordinator.toml", undefined],
    ["deep/er/still/file.txt", undefined],
    [".caxtonignore", undefined],
    ["...", undefined],
    ["..a", undefined],
    ["a..", undefined],
    [".hidden/.x", undefined],
    ["with space/and-dash_under.score", undefined],
    ["agents/été/日本語.toml", undefined],
    ["emoji/\u{1F600}/\u{10FFFF}.toml", undefined],
    ["\uFF21\uE000", undefined],
    [seg255, undefined],
    ["€".repeat(85), undefined], // 255 bytes
    [pathOfBytes(MAX_PATH_BYTES), undefined],
    // invalid
    ["", /empty path/],
    ["/etc/passwd", /absolute/],
    ["/", /absolute/],
    ["..", /'\.' and '\.\.'/],
    ["../x", /'\.' and '\.\.'/],
    ["a/../../x", /'\.' and '\.\.'/],
    ["a/..", /'\.' and '\.\.'/],
    [".", /'\.' and '\.\.'/],
    ["./a", /'\.' and '\.\.'/],
    ["a/./b", /'\.' and '\.\.'/],
    ["a//b", /empty name/],
    ["a/", /empty name/],
    ["a\\b", /backslash/],
    ["..\\..\\windows", /backslash/],
    ["a\0b", /control character/],
    ["a/b\0", /control character/],
    ["a\nb", /control character/],
    ["a\rb", /control character/],
    ["a\tb", /control character/],
    ["\x1b[31mred", /control character/],
    ["a\x7f", /control character/],
    ["s".repeat(MAX_SEGMENT_BYTES + 1), /longer than 255 bytes/],
    ["dir/" + "€".repeat(86), /longer than 255 bytes/], // 86 chars, 258 bytes
    [pathOfBytes(MAX_PATH_BYTES + 1), /longer than 1024 bytes/],
    ["\u{1F600}".repeat(257), /longer than 1024 bytes/], // 514 UTF-16 units, 1028 bytes
  ];
  for (const [path, expected] of cases) {
    const shown = JSON.stringify(path.length > 40 ? path.slice(0, 40) + "…" : path);
    const problem = pathProblem(path);
    if (expected === undefined) {
      assert.equal(problem, undefined, `${shown} should be valid`);
      assert.doesNotThrow(() => assertSafePath(path));
    } else {
      assert.ok(problem !== undefined, `${shown} should be refused`);
      assert.match(problem, expected, shown);
      assert.throws(
        () => assertSafePath(path),
        (err: unknown) => err instanceof CaxtonError && err.code === "E_UNSAFE_PATH",
      );
    }
  }
});

test("pathProblem: the length table helpers build what they claim", () => {
  assert.equal(Buffer.byteLength(pathOfBytes(MAX_PATH_BYTES)), MAX_PATH_BYTES);
  assert.equal(Buffer.byteLength(pathOfBytes(MAX_PATH_BYTES + 1)), MAX_PATH_BYTES + 1);
  assert.equal(Buffer.byteLength("€".repeat(85)), 255);
});

test("pathProblem: random safe paths are accepted, and any path with a bad segment is refused", () => {
  const safeChar = fc
    .integer({ min: 0x20, max: 0x10ffff })
    .filter((c) => c !== 0x2f && c !== 0x5c && c !== 0x7f && c !== 0xfffd && (c < 0xd800 || c > 0xdfff))
    .map((c) => String.fromCodePoint(c));
  const segment = fc
    .array(fc.oneof(fc.constantFrom("a", "b", ".", "-"), safeChar), { minLength: 1, maxLength: 8 })
    .map((cs) => cs.join(""))
    .filter((s) => s !== "." && s !== "..");
  const badSegment = fc.constantFrom("", ".", "..", "a\\b", "x\0", "\x01", "\x7f");
  fc.assert(
    fc.property(fc.array(segment, { minLength: 1, maxLength: 6 }), fc.nat(), badSegment, (segs, at, bad) => {
      assert.equal(pathProblem(segs.join("/")), undefined, JSON.stringify(segs));
      const broken = [...segs];
      broken.splice(at % (segs.length + 1), 0, bad);
      assert.notEqual(pathProblem(broken.join("/")), undefined, JSON.stringify(broken));
    }),
    { numRuns: 500 },
  );
});

// U+FFFD is a valid character (UTF-8 EF BF BD): the scanner and the tree decoder accept a file so named,
// so the server's path rules must too.
test("pathProblem: a name with the real character U+FFFD is valid UTF-8", () => {
  assert.equal(pathProblem("agents/\uFFFD.toml"), undefined);
});

// A JS string never holds invalid UTF-8; what it can hold is a lone surrogate (e.g. from JSON "\ud800"),
// which Buffer.from turns into EF BF BD. Two different paths then name the same file.
test("pathProblem: a lone surrogate (not encodable as UTF-8) is refused", () => {
  assert.notEqual(pathProblem("a\uD800"), undefined);
  assert.notEqual(pathProblem("a\uDC00b"), undefined);
});
