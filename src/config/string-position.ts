/**
 * Where a character of a parsed TOML string is written in the source. A check that finds a problem inside a
 * string (an unclosed `{{` in a prompt, the wrong field of a cron expression) knows an offset in the decoded
 * value; the user wants the line and column in the file. Given the position of the string's opening quote,
 * this walks the four TOML string forms, undoing escapes (basic strings) and the trimmed first newline and
 * line-ending backslashes (multi-line strings), until it reaches that offset.
 */
import type { Position } from "./position-index.js";

/**
 * The source position of UTF-16 offset `offset` of the string value whose opening quote is at `start`.
 * Offsets past the end map to the closing quote. Falls back to `start` if `start` is not a quote.
 */
export function positionInString(text: string, start: Position, offset: number): Position {
  let i = indexOf(text, start);
  if (i < 0 || (text[i] !== '"' && text[i] !== "'")) return start;
  const quote = text[i] as '"' | "'";
  const multi = text.startsWith(quote.repeat(3), i);
  i += multi ? 3 : 1;
  if (multi) {
    if (text[i] === "\n") i += 1;
    else if (text.startsWith("\r\n", i)) i += 2;
  }
  let decoded = 0;
  while (i < text.length && decoded < offset) {
    const c = text[i];
    if (!multi && c === quote) break;
    if (multi && text.startsWith(quote.repeat(3), i) && !text.startsWith(quote.repeat(4), i)) break;
    if (quote === '"' && c === "\\") {
      const e = text[i + 1];
      if (e === "u") {
        i += 6;
        decoded += 1;
      } else if (e === "U") {
        const cp = Number.parseInt(text.slice(i + 2, i + 10), 16);
        i += 10;
        decoded += cp > 0xffff ? 2 : 1;
      } else if (multi && (e === "\n" || e === "\r" || e === " " || e === "\t")) {
        // Line-ending backslash: the newline and all whitespace after it vanish from the value.
        i += 1;
        while (i < text.length && /[ \t\r\n]/.test(text[i] as string)) i++;
      } else {
        i += 2;
        decoded += 1;
      }
      continue;
    }
    i += 1;
    decoded += 1;
  }
  return positionOf(text, i);
}

function indexOf(text: string, at: Position): number {
  let i = 0;
  for (let line = 1; line < at.line; line++) {
    const nl = text.indexOf("\n", i);
    if (nl < 0) return -1;
    i = nl + 1;
  }
  return i + at.column - 1;
}

function positionOf(text: string, index: number): Position {
  const before = text.slice(0, index);
  const lineStart = before.lastIndexOf("\n") + 1;
  let line = 1;
  for (let k = before.indexOf("\n"); k >= 0; k = before.indexOf("\n", k + 1)) line++;
  return { line, column: index - lineStart + 1 };
}
