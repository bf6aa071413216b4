// Conformance with Caxton's agent-format guide: agent files in every form and table the guide shows are
// valid with no warning, and a wrong value for each key they write is reported at that key's line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AGENT_KEY_TREE } from "../../src/config/agent-schema.js";
import { analyzeFile } from "../../src/config/analyze-file.js";
import type { KeyTree } from "../../src/config/schema-diagnostics.js";
import { validateWorkspace } from "../../src/config/validate-workspace.js";
import { GUIDE_CORPUS, WRONG_VALUES } from "./guide-corpus.js";
import { enc } from "./helpers.js";

interface KeyLine {
  /** Dotted path of the key, e.g. `memory.context_preparation.enabled`. */
  path: string;
  /** 0-based first and last line of the `key = value` (multi-line strings and arrays span several). */
  first: number;
  last: number;
}

/** Every `key = value` of a corpus file with its table, found line by line (the corpus is plain TOML). */
function keyLines(text: string): KeyLine[] {
  const lines = text.split("\n");
  const out: KeyLine[] = [];
  let table = "";
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const header = /^\[([a-z_.]+)\]/.exec(line);
    if (header) {
      table = (header[1] as string) + ".";
      continue;
    }
    const kv = /^([a-z_]+) = (.*)$/.exec(line);
    if (!kv) continue;
    const value = kv[2] as string;
    let last = i;
    if (value.startsWith("'''") && !value.slice(3).includes("'''")) {
      while (!(lines[last + 1] ?? "'''").startsWith("'''")) last++;
      last++;
    } else if (value === "[") {
      while (!(lines[last + 1] ?? "]").startsWith("]")) last++;
      last++;
    }
    out.push({ path: table + (kv[1] as string), first: i, last });
  }
  return out;
}

function leafPaths(tree: KeyTree, prefix = ""): string[] {
  return Object.entries(tree.keys ?? {}).flatMap(([k, sub]) =>
    sub === null ? [prefix + k] : sub.open ? [] : leafPaths(sub, `${prefix}${k}.`),
  );
}

test("conformance: every corpus file is valid with no warning, alone and as one workspace", () => {
  for (const [path, text] of Object.entries(GUIDE_CORPUS))
    assert.deepEqual(analyzeFile(path, enc(text)).diagnostics, [], path);
  const files = Object.entries(GUIDE_CORPUS).map(([path, text]) => ({ path, content: enc(text) }));
  assert.deepEqual(validateWorkspace(files), []);
});

test("conformance: the corpus writes every key the schema knows, and has a wrong value for each", () => {
  const written = new Set(Object.values(GUIDE_CORPUS).flatMap((t) => keyLines(t).map((k) => k.path)));
  const known = leafPaths(AGENT_KEY_TREE);
  // `tools` is a list (the guide) or a table (the domain schema); the corpus writes both.
  for (const path of [...known, "tools"]) assert.ok(written.has(path), `the corpus never writes ${path}`);
  for (const path of written)
    if (!path.startsWith("parameters.")) assert.ok(WRONG_VALUES[path], `no wrong value for ${path}`);
});

test("conformance: a wrong value for each key is one error at that key's line", () => {
  let checked = 0;
  for (const [path, text] of Object.entries(GUIDE_CORPUS)) {
    const lines = text.split("\n");
    for (const key of keyLines(text)) {
      const wrong = WRONG_VALUES[key.path];
      if (!wrong) continue;
      const name = key.path.slice(key.path.lastIndexOf(".") + 1);
      const edited = [
        ...lines.slice(0, key.first),
        `${name} = ${wrong[0]}`,
        ...lines.slice(key.last + 1),
      ].join("\n");
      const got = analyzeFile(path, enc(edited)).diagnostics.map((d) => [d.code, d.line, d.severity]);
      assert.deepEqual(got, [[wrong[1], key.first + 1, "error"]], `${path}: ${key.path} = ${wrong[0]}`);
      checked++;
    }
  }
  assert.ok(checked > 100, `only ${checked} edits checked`);
});
