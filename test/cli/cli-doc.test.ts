/**
 * docs/cli.md's flag tables, command list, environment variables and exit codes are generated from the
 * command table the parser uses: the committed document must be exactly what `npm run docs` produces, and
 * every flag the parser takes appears in it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { renderCliDoc } from "../../scripts/cli-docs.js";
import { COMMANDS } from "../../src/cli/command-table.js";

test("docs/cli.md is current with the command table (npm run docs)", async () => {
  const { current, wanted } = await renderCliDoc();
  assert.equal(current, wanted, "docs/cli.md is stale: run `npm run docs`");
});

test("every flag of every command is in docs/cli.md", async () => {
  const { current } = await renderCliDoc();
  for (const [name, spec] of Object.entries(COMMANDS)) {
    const at = current.indexOf(`## \`caxton ${name}`);
    assert.ok(at >= 0, `no section for ${name}`);
    const section = current.slice(at, current.indexOf("\n## ", at + 1));
    for (const flag of Object.keys(spec.flags)) {
      assert.ok(section.includes(flag.length === 1 ? `-${flag}` : `--${flag}`), `${name} --${flag}`);
    }
  }
});
