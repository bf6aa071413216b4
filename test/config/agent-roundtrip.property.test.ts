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
import { arbitraryWorkspace, text } from "./agent-arbitraries.js";

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
  if (Array.isArray(input["tools"])) out["tools"] = { available: input["tools"] };
  const memory = input["memory"] as Record<string, unknown> | undefined;
  if (memory?.["context_preparation"])
    (out["memory"] as Record<string, unknown>)["context_preparation"] = {
      enabled: true,
      max_context_length: 8000,
      relevance_threshold: 0.8,
      ...(memory["context_preparation"] as object),
    };
  const tables: Record<string, object> = {
    permissions: { file_access: "readonly", network_access: "restricted" },
    schedule: { timezone: "UTC", enabled: false },
    audit: { log_operations: true, log_sensitive_data: false },
    monitoring: { performance_tracking: true, error_reporting: true },
    development: { hot_reload: true, debug_mode: false, test_mode: false },
  };
  for (const [t, defaults] of Object.entries(tables))
    if (input[t]) out[t] = { ...defaults, ...(input[t] as object) };
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
