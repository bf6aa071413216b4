// Shared by the config tests: compact projections of diagnostics so table rows stay one line each.
import assert from "node:assert/strict";
import type { Diagnostic } from "../../src/errors/caxton-error.js";
import { analyzeFile } from "../../src/config/analyze-file.js";

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

export const lines = (...l: string[]): string => l.join("\n") + "\n";

/** [code, line, column, message, suggestion] */
export type Row = [string, number | null, number | null, string, string | null];

export const row = (d: Diagnostic): Row => [d.code, d.line, d.column, d.message, d.suggestion];

/** A valid agent; its [tools] header is line 7. */
export const AGENT = [
  'name = "reviewer"',
  'version = "1.0.0"',
  'capabilities = ["code_analysis"]',
  'system_prompt = "You review code."',
  'user_prompt_template = "Review: {diff}"',
  "",
  "[tools]",
  'available = ["read_file"]',
];

/** The valid agent with line n (1-based) replaced (`null` deletes it) and `extra` lines appended. */
export function agent(replace: Record<number, string | null> = {}, ...extra: string[]): string {
  const out: string[] = [];
  AGENT.forEach((l, i) => {
    const r = replace[i + 1];
    if (r === undefined) out.push(l);
    else if (r !== null) out.push(r);
  });
  return lines(...out, ...extra);
}

export type Case = [title: string, path: string, text: string, expected: Row[]];

export function runCases(cases: Case[]): void {
  for (const [title, path, text, expected] of cases) {
    const got = analyzeFile(path, enc(text)).diagnostics.map(row);
    assert.deepEqual(got, expected, `${title}\n--- file ---\n${text}`);
  }
}
