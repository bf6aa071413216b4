/**
 * The detail of a CaxtonError has its code's shape (ErrorDetails in src/errors/error-codes.ts): checked by
 * the compiler (each `@ts-expect-error` line must fail to compile, or the build fails), and at run time the
 * detail reaches the JSON body unchanged.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { CaxtonError, isCaxtonError } from "../../src/errors/caxton-error.js";

test("a code takes only its own detail shape", () => {
  const ok = new CaxtonError("E_TOO_LARGE", "too large", { detail: { limit: "max_files", value: 10 } });
  // @ts-expect-error: E_TOO_LARGE names a known limit
  new CaxtonError("E_TOO_LARGE", "too large", { detail: { limit: "max_everything", value: 10 } });
  // @ts-expect-error: E_MISSING_OBJECTS lists what is missing
  new CaxtonError("E_MISSING_OBJECTS", "missing", { detail: { limit: "max_files" } });
  // @ts-expect-error: E_USAGE carries no detail
  new CaxtonError("E_USAGE", "usage", { detail: { anything: true } });
  assert.deepEqual(ok.toJSON().detail, { limit: "max_files", value: 10 });
});

test("testing the code narrows the detail, with no cast", () => {
  const err: unknown = new CaxtonError("E_MISSING_OBJECTS", "missing", { detail: { missing: ["a"] } });
  assert.ok(isCaxtonError(err));
  if (err.code !== "E_MISSING_OBJECTS") assert.fail(err.code);
  const missing: string[] | undefined = err.detail?.missing;
  assert.deepEqual(missing, ["a"]);
  // @ts-expect-error: a missing-objects error has no `limit`
  assert.equal(err.detail?.limit, undefined);
});
