/**
 * A file's text, or the position of the first byte that is not valid UTF-8 (E_TOML_ENCODING). Shared by
 * the full analysis (analyze-file.ts) and the quick check of a changed file (quick-check.ts).
 */
import type { Position } from "./position-index.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });

export function decodeUtf8(content: Uint8Array): string | Position {
  try {
    return utf8.decode(content);
  } catch {
    // Find the shortest prefix that fails. In streaming mode a sequence cut at the end is not an error, so
    // "this prefix fails" is monotonic and a binary search finds the bad byte.
    let lo = 0;
    let hi = content.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(content.subarray(0, mid + 1), { stream: true });
        lo = mid + 1;
      } catch {
        hi = mid;
      }
    }
    const before = content.subarray(0, lo);
    const lineStart = before.lastIndexOf(0x0a) + 1;
    let line = 1;
    for (const b of before) if (b === 0x0a) line++;
    const column =
      new TextDecoder("utf-8").decode(content.subarray(lineStart, lo), { stream: true }).length + 1;
    return { line, column };
  }
}
