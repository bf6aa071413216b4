/** fast-check generators shared by the merkle property tests (not a test file itself). */
import fc from "fast-check";
import type { TreeEntry } from "../../src/merkle/tree-object.js";

/** One code point that may appear in a tree entry name (no '/', '\\', control chars, lone surrogates). */
const nameChar: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("a", "b", "c", "A", "Z", "0", "9", ".", "-", "_", " ", "~") },
  // BMP above U+E000 (private use, fullwidth, specials): sorts *after* astral chars in UTF-16 order,
  // *before* them in UTF-8 order
  {
    weight: 2,
    arbitrary: fc.constantFrom("\uE000", "\uF8FF", "\uFB01", "\uFF21", "\uFFFD", "\uFFFF", "é", "ß"),
  },
  // astral (surrogate pairs in JS strings, 4 bytes in UTF-8)
  { weight: 2, arbitrary: fc.constantFrom("\u{10000}", "\u{1F600}", "\u{1F4A9}", "\u{20000}", "\u{10FFFF}") },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 0x20, max: 0x10ffff })
      .filter((c) => c !== 0x2f && c !== 0x5c && c !== 0x7f && (c < 0xd800 || c > 0xdfff))
      .map((c) => String.fromCodePoint(c)),
  },
);

export const nameArb: fc.Arbitrary<string> = fc
  .array(nameChar, { minLength: 1, maxLength: 6 })
  .map((cs) => cs.join(""))
  .filter((n) => n !== "." && n !== "..");

export const hashArb: fc.Arbitrary<string> = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((b) => Buffer.from(b).toString("hex"));

export const entriesArb: fc.Arbitrary<TreeEntry[]> = fc.uniqueArray(
  // fc.record builds null-prototype objects; copy into plain ones so deepEqual with decodeTree's output works
  fc
    .record({ kind: fc.constantFrom("blob" as const, "tree" as const), name: nameArb, hash: hashArb })
    .map(({ kind, name, hash }): TreeEntry => ({ kind, name, hash })),
  { selector: (e) => e.name, maxLength: 12 },
);

/**
 * A valid manifest: paths of 1..4 segments drawn from a small pool (so directories are shared), with no
 * path that is both a file and a directory.
 */
export const manifestArb: fc.Arbitrary<Map<string, string>> = fc
  .array(
    fc.tuple(
      fc.array(fc.oneof(fc.constantFrom("a", "b", "agents", "x.toml", "\u{1F600}", "\uFF21"), nameArb), {
        minLength: 1,
        maxLength: 4,
      }),
      fc.oneof(hashArb, fc.constantFrom("00".repeat(32), "ff".repeat(32))),
    ),
    { maxLength: 25 },
  )
  .map((pairs) => {
    const m = new Map<string, string>();
    for (const [segs, hash] of pairs) m.set(segs.join("/"), hash);
    return valid(m);
  });

/** Drops every file that is also a folder of another path. */
export function valid(m: Map<string, string>): Map<string, string> {
  for (const p of [...m.keys()]) {
    for (const q of m.keys()) {
      if (q !== p && q.startsWith(p + "/")) {
        m.delete(p);
        break;
      }
    }
  }
  return m;
}

/** A base and a next manifest that share most of their files: edits, deletions, additions, a file becoming a folder. */
export const pairArb: fc.Arbitrary<[Map<string, string>, Map<string, string>]> = fc
  .tuple(manifestArb, manifestArb, fc.array(fc.tuple(fc.nat(), hashArb)), fc.array(fc.nat()))
  .map(([base, extra, edits, deletions]) => {
    const next = new Map(base);
    const paths = [...base.keys()];
    for (const [i, h] of edits) if (paths.length > 0) next.set(paths[i % paths.length] as string, h);
    for (const i of deletions) if (paths.length > 0) next.delete(paths[i % paths.length] as string);
    for (const [p, h] of extra) if (!next.has(p)) next.set(p, h);
    return [base, valid(next)];
  });
