/** docs/protocol.md's pack header grammar names every field the deploy header schema accepts. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DeployHeaderSchema } from "../../src/protocol/messages.js";
import { REPO } from "../support/caxton-process.js";

test("docs/protocol.md: the pack header grammar lists every deploy header field", () => {
  const doc = readFileSync(join(REPO, "docs", "protocol.md"), "utf8");
  const grammar = /^header = \{[\s\S]*?\}\}?$/m.exec(doc)?.[0] ?? "";
  assert.notEqual(grammar, "", "the grammar has a header line");
  for (const key of Object.keys(DeployHeaderSchema.shape)) {
    assert.ok(grammar.includes(`"${key}"`), `the header grammar names "${key}"`);
  }
});
