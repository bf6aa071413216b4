/**
 * docs/cli.md's flag tables, command list, environment variables and exit codes are generated from the
 * command table the parser uses: the committed document must be exactly what `npm run docs` produces, and
 * every flag the parser takes appears in it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { GENERATED_DOCS, renderCliDoc } from "../../scripts/cli-docs.js";
import { generatedSections, sectionKeys } from "../../src/cli/cli-doc.js";
import { COMMANDS } from "../../src/cli/command-table.js";

test("docs/cli.md and README.md are current with the command table (npm run docs)", async () => {
  for (const file of GENERATED_DOCS) {
    const { current, wanted } = await renderCliDoc(file);
    assert.equal(current, wanted, `${file} is stale: run \`npm run docs\``);
  }
  const { current } = await renderCliDoc("docs/cli.md");
  const missing = [...generatedSections().keys()].filter(
    (k) => k !== "flags-summary" && !sectionKeys(current).includes(k),
  );
  assert.deepEqual(missing, [], "docs/cli.md holds every generated section");
});

test("README.md lists every command, flag and environment variable", async () => {
  const { current } = await renderCliDoc("README.md");
  for (const key of ["flags-summary", "environment", "exit-codes"])
    assert.ok(sectionKeys(current).includes(key), key);
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
