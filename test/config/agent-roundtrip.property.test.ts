// Property: any valid agent, serialised with smol-toml and validated, has no errors, and its normalized
// config is exactly the input plus the documented defaults. Strings include quotes, TOML delimiters,
// newlines, control characters and non-BMP unicode, to exercise both the parser and the position index.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { stringify } from "smol-toml";
import { analyzeFile } from "../../src/config/analyze-file.js";
import { buildPositionIndex, type PathSegment } from "../../src/config/position-index.js";
import { validateWorkspace } from "../../src/config/validate-workspace.js";
import { enc } from "./helpers.js";

const tricky = fc.constantFrom(
  '"',
  "'",
  "'''",
  '"""',
  "\\",
  "\n",
  "\r\n",
  "\t",
  "\u0000",
  "\u007f",
  "[tools]",
  'name = "x"',
  "# not a comment",
  "{key}",
  "é",
  "\u{1F600}",
  "\u200b",
);
const text = fc
  .array(fc.oneof(fc.string({ unit: "binary", maxLength: 8 }), tricky), { maxLength: 6 })
  .map((parts) => parts.join(""));

const agentName = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}[a-z0-9]$/).filter((n) => !n.includes("--"));
const u32 = fc.integer({ min: 0, max: 4294967295 });
const word = fc.stringMatching(/^[A-Za-z0-9_]{1,12}$/);
const serverName = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/).filter((s) => !s.includes("__"));
const noNegZero = (x: number) => x + 0;
const float = (min: number, max: number) => fc.double({ min, max, noNaN: true }).map(noNegZero);

const parameterValue = fc.oneof(
  text,
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(noNegZero),
  fc.array(fc.integer(), { maxLength: 3 }),
);

const arbitraryWorkspace = fc.uniqueArray(serverName, { minLength: 1, maxLength: 3 }).chain((servers) => {
  const tool = fc.oneof(
    word.filter((w) => !w.startsWith("mcp__")),
    fc.tuple(fc.constantFrom(...servers), word).map(([s, t]) => `mcp__${s}__${t}`),
  );
  const agent = fc.record(
    {
      name: agentName,
      version: fc.tuple(u32, u32, u32).map((p) => p.join(".")),
      capabilities: fc.array(word, { maxLength: 4 }),
      system_prompt: text,
      user_prompt_template: text,
      description: text,
      documentation: text,
      tools: fc.record({ available: fc.array(tool, { maxLength: 4 }) }),
      parameters: fc.dictionary(
        fc.stringMatching(/^[a-z_][a-z0-9_ .-]{0,8}$/).filter((k) => k !== "__proto__"),
        parameterValue,
        { maxKeys: 3 },
      ),
      llm: fc.record(
        {
          provider: fc.constantFrom("openai", "anthropic", "local"),
          model: text,
          temperature: float(0, 2),
          max_tokens: u32,
          top_p: float(0, 1),
          frequency_penalty: float(-2, 2),
          presence_penalty: float(-2, 2),
        },
        { requiredKeys: ["provider", "model"] },
      ),
      memory: fc.record(
        {
          enabled: fc.boolean(),
          context_window: u32,
          scope: fc.constantFrom("agent", "conversation", "global"),
          retention_period: text,
          max_entries: u32,
        },
        { requiredKeys: [] },
      ),
      conversation: fc.record({ max_turns: u32, timeout_seconds: u32 }, { requiredKeys: [] }),
    },
    { requiredKeys: ["name", "version", "capabilities", "system_prompt", "user_prompt_template", "tools"] },
  );
  return fc.tuple(fc.constant(servers), agent);
});

/** The input with the documented defaults added. */
function withDefaults(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ...input,
    memory: {
      enabled: true,
      context_window: 4000,
      scope: "agent",
      ...(input["memory"] as object | undefined),
    },
    conversation: { max_turns: 50, timeout_seconds: 300, ...(input["conversation"] as object | undefined) },
  };
  if (input["llm"]) out["llm"] = { temperature: 0.7, ...(input["llm"] as object) };
  return out;
}

test("property: a valid generated agent stays valid through stringify -> validate, with defaults added", () => {
  fc.assert(
    fc.property(arbitraryWorkspace, ([servers, input]) => {
      const toml = stringify(input);
      const mcp = stringify({
        servers: Object.fromEntries(servers.map((s) => [s, { command: `run-${s}` }])),
      });
      const diagnostics = validateWorkspace([
        { path: "agents/generated.toml", content: enc(toml) },
        { path: "tools/mcp_servers.toml", content: enc(mcp) },
      ]);
      assert.deepEqual(diagnostics, [], toml);
      const analysis = analyzeFile("agents/generated.toml", enc(toml));
      // structuredClone: fast-check's dictionaries have a null prototype; compare plain data only.
      assert.deepEqual(structuredClone(analysis.agent?.config), structuredClone(withDefaults(input)), toml);
    }),
    { numRuns: 300 },
  );
});

test("property: the position index finds every key and value smol-toml writes", () => {
  const key = fc.oneof(
    fc.stringMatching(/^[a-z][a-z_-]{0,6}$/),
    text.filter((k) => k !== "__proto__"),
  );
  const leaf = fc.oneof(
    text,
    fc.boolean(),
    fc.integer(),
    fc.array(fc.oneof(text, fc.integer()), { maxLength: 3 }),
  );
  const doc = fc.dictionary(key, fc.oneof(leaf, fc.dictionary(key, leaf, { maxKeys: 3 })), { maxKeys: 4 });
  fc.assert(
    fc.property(doc, (data) => {
      const toml = stringify(data);
      const lines = toml.split("\n");
      const index = buildPositionIndex(toml);
      const charAt = (p: { line: number; column: number } | undefined) =>
        lines[(p?.line ?? 0) - 1]?.[(p?.column ?? 0) - 1];
      const visit = (value: unknown, path: PathSegment[]): void => {
        if (path.length > 0) {
          const entry = index.get(path);
          assert.ok(entry, `${JSON.stringify(path)} not indexed in\n${toml}`);
          const c = charAt(entry.value ?? entry.key);
          const expected =
            typeof value === "string"
              ? ['"', "'"]
              : typeof value === "boolean"
                ? ["t", "f"]
                : Array.isArray(value)
                  ? ["["]
                  : null;
          if (expected && entry.kind !== "table")
            assert.ok(expected.includes(c ?? ""), `${JSON.stringify(path)} at ${c}`);
          if (typeof value === "number") assert.match(c ?? "", /[-+0-9]/);
        }
        if (Array.isArray(value)) value.forEach((v, i) => visit(v, [...path, i]));
        else if (typeof value === "object" && value !== null)
          for (const [k, v] of Object.entries(value)) visit(v, [...path, k]);
      };
      visit(data, []);
    }),
    { numRuns: 300 },
  );
});
