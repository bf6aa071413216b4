/** Temp-dir helpers shared by the workspace tests (not a test file itself). */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { CaxtonError } from "../../src/errors/caxton-error.js";

/** Runs `f` with a fresh temp dir that is removed afterwards, whatever happens. */
export async function withTempDir<T>(f: (dir: string) => T | Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "caxton-ws-test-"));
  try {
    return await f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes files (workspace path → content), creating folders as needed. */
export function writeFiles(root: string, files: Record<string, string | Buffer>): void {
  for (const [rel, content] of Object.entries(files)) {
    const abs = join(root, rel);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, content);
  }
}

export function sha256(content: string | Buffer): string {
  return createHash("sha256").update(content).digest("hex");
}

/** The manifest the spec expects for these files. */
export function manifestOf(files: Record<string, string | Buffer>): Map<string, string> {
  return new Map(Object.entries(files).map(([p, c]) => [p, sha256(c)]));
}

/** Asserts that `f` throws a CaxtonError with `code` whose message matches `message`. */
export function assertCaxtonError(f: () => unknown, code: string, message?: RegExp): CaxtonError {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof CaxtonError, `expected a CaxtonError ${code}, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  if (message) assert.match(err.message, message);
  return err;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
