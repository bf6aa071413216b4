/** Every code in the error table is raised somewhere in the source: the table lists no dead codes. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ERROR_CODES } from "../../src/errors/error-codes.js";
import { REPO } from "../support/caxton-process.js";

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

test("every error code in the table is thrown somewhere in src/", () => {
  const text = sources(join(REPO, "src"))
    .filter((f) => !f.endsWith(join("errors", "error-codes.ts")))
    .map((f) => readFileSync(f, "utf8"))
    .join("\n");
  const unused = Object.keys(ERROR_CODES).filter((code) => !text.includes(`"${code}"`));
  assert.deepEqual(unused, [], `codes in the table that nothing raises: ${unused.join(", ")}`);
});
