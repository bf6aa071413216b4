// Property: the hand-written quick check (agent-quick-check.ts) says yes for exactly the agent tables the
// zod schema accepts, and quick-check.ts says yes for a file only when analyzeFile finds no error in it
// (for agent files: exactly then). Inputs: valid generated agents, parsed as the validator parses them,
// then with a few keys set to values at or across each rule's edge (wrong types, out-of-range numbers,
// date-times, near-miss strings) or deleted; the guide's corpus with each of its wrong values; and files
// with a byte changed anywhere (syntax and encoding errors).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { stringify } from "smol-toml";
import { agentSchema } from "../../src/config/agent-schema.js";
import { agentQuickCheck } from "../../src/config/agent-quick-check.js";
import { analyzeFile } from "../../src/config/analyze-file.js";
import { quickCheck } from "../../src/config/quick-check.js";
import { isTable, parseToml, type TomlTable } from "../../src/config/toml-values.js";
import { arbitraryWorkspace } from "./agent-arbitraries.js";
import { GUIDE_CORPUS, WRONG_VALUES } from "./guide-corpus.js";
import { enc } from "./helpers.js";

/** Every key the schema knows, as paths; `[0]` is an array's first element. */
const PATHS: readonly (string | number)[][] = [
  ...["name", "version", "capabilities", "system_prompt", "user_prompt_template", "description"],
  ...["documentation", "tools", "parameters", "llm", "memory", "conversation", "permissions", "schedule"],
  ...["audit", "monitoring", "development"],
].map((k) => [k]);
const NESTED: Record<string, string[]> = {
  llm: ["provider", "model", "temperature", "max_tokens", "top_p", "frequency_penalty", "presence_penalty"],
  memory: ["enabled", "context_window", "scope", "retention_period", "max_entries", "context_preparation"],
  conversation: ["max_turns", "timeout_seconds"],
  permissions: ["file_access", "network_access", "memory_limit", "cpu_limit"],
  schedule: ["cron", "timezone", "enabled"],
  audit: ["log_operations", "log_sensitive_data", "retention_period"],
  monitoring: ["health_check_interval", "performance_tracking", "error_reporting"],
  development: ["hot_reload", "debug_mode", "test_mode"],
  tools: ["available"],
};
const ALL_PATHS = [
  ...PATHS,
  ...Object.entries(NESTED).flatMap(([t, keys]) => keys.map((k) => [t, k])),
  ["memory", "context_preparation", "enabled"],
  ["memory", "context_preparation", "max_context_length"],
  ["memory", "context_preparation", "relevance_threshold"],
  ["capabilities", 0],
  ["tools", 0],
  ["tools", "available", 0],
];

/** Values at or across the edge of some rule, of every TOML type. */
const EDGE_VALUES: readonly unknown[] = [
  ...["", "x", "a-b", "A", "a--b", "ab-", "1.0.0", "1.0", "v1.0.0", "4294967295.0.0", "4294967296.0.0"],
  ...["read_file", "read-file", "mcp__git__log", "mcp__Git__log", "mcp____log", "mcp__git__", "mcp__a__b__c"],
  ...["openai", "anthropic", "local", "OpenAI", "agent", "conversation", "global", "readonly", "readwrite"],
  ...["none", "restricted", "full", "100MB", "100 MB", "0MB", "5m", "0s", "100ms", "30d", "5 minutes"],
  ...["0 8 * * MON", "* * * *", "61 * * * *", "UTC", "Europe/Paris", "Mars/Olympus", "{{request}}", "{{"],
  ...[-1n, 0n, 1n, 2n, 4294967295n, 4294967296n, 2n ** 64n, 2n ** 1100n],
  ...[0, -0, 0.5, 1, 1.5, 2, 2.0000001, -3, 1e308, NaN, Infinity, -Infinity],
  ...[true, false, new Date("2024-01-01T00:00:00Z")],
  ...[[], ["read_file"], ["x", 1n], [["a"]], {}, { available: [] }, { available: ["x"] }, { a: 1n }],
];

const edge = fc.constantFrom(...EDGE_VALUES);
const path = fc.constantFrom(...ALL_PATHS);
const mutation = fc.tuple(path, fc.option(edge, { nil: undefined, freq: 6 }));

/** Sets (or, for undefined, deletes) the value at `path`, creating nothing that is not there. */
function setAt(data: TomlTable, at: readonly (string | number)[], value: unknown): void {
  let v: unknown = data;
  for (const seg of at.slice(0, -1)) {
    v = Array.isArray(v) && typeof seg === "number" ? v[seg] : isTable(v) ? v[seg] : undefined;
    if (typeof v !== "object" || v === null) return;
  }
  const last = at[at.length - 1] as string | number;
  if (Array.isArray(v) && typeof last === "number") {
    if (last < v.length) v[last] = value;
  } else if (isTable(v) && typeof last === "string") {
    if (value === undefined) delete v[last];
    else v[last] = value;
  }
}

const show = (data: unknown): string =>
  JSON.stringify(data, (_, v: unknown) =>
    typeof v === "bigint" ? `${v}n` : typeof v === "number" && !Number.isFinite(v) ? String(v) : v,
  );

const parsedAgent = arbitraryWorkspace.map(([, input]) => parseToml(stringify(input)));
const mutatedAgent = fc.tuple(parsedAgent, fc.array(mutation, { maxLength: 3 })).map(([data, mutations]) => {
  // a copy of the edge value: the same object must not end up inside itself
  for (const [at, value] of mutations) setAt(data, at, structuredClone(value));
  return data;
});

test("property: the quick check accepts exactly the agent tables the zod schema accepts", () => {
  let accepted = 0;
  fc.assert(
    fc.property(mutatedAgent, (data) => {
      const zod = agentSchema.safeParse(data).success;
      if (agentQuickCheck(data) !== zod) assert.fail(`zod says ${zod} for ${show(data)}`);
      if (zod) accepted++;
    }),
    { numRuns: 1000 },
  );
  // both answers were exercised
  assert.ok(accepted > 50 && accepted < 950, `accepted ${accepted} of 1000`);
});

test("the quick check agrees with analyzeFile on the guide's corpus and each of its wrong values", () => {
  for (const [path, text] of Object.entries(GUIDE_CORPUS)) {
    assert.equal(quickCheck(path, enc(text)), !analyzeFile(path, enc(text)).hasErrors, path);
    const data = parseToml(text);
    for (const [dotted, [value]] of Object.entries(WRONG_VALUES)) {
      const copy = structuredClone(data);
      const wrong = parseToml(`v = ${value}`)["v"];
      setAt(copy, dotted.split("."), wrong);
      assert.equal(agentQuickCheck(copy), agentSchema.safeParse(copy).success, `${path} ${dotted}`);
    }
  }
});

test("the quick check agrees with zod for every edge value at every key of each corpus agent", () => {
  for (const [file, text] of Object.entries(GUIDE_CORPUS)) {
    const data = parseToml(text);
    for (const at of ALL_PATHS) {
      for (const value of [undefined, ...EDGE_VALUES]) {
        const copy = structuredClone(data);
        setAt(copy, at, structuredClone(value));
        const zod = agentSchema.safeParse(copy).success;
        if (agentQuickCheck(copy) !== zod) assert.fail(`${file}: zod says ${zod} for ${show(copy)}`);
      }
    }
  }
});

test("property: a file the quick check passes has no error; for agent files, exactly then", () => {
  const file = fc.tuple(
    fc.constantFrom(
      "agents/a.toml",
      "agents/team/b.toml",
      "other.toml",
      "tools/mcp_servers.toml",
      "caxton.toml",
    ),
    mutatedAgent,
    fc.option(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { freq: 2 }),
  );
  fc.assert(
    fc.property(file, ([path, data, change]) => {
      let text: string;
      try {
        text = stringify(data);
      } catch {
        return; // a value TOML cannot write (an array of mixed types is fine; NaN in a date is not)
      }
      const bytes = Buffer.from(text);
      if (change) bytes[change[0] % Math.max(1, bytes.length)] = change[1];
      const quick = quickCheck(path, bytes);
      const clean = !analyzeFile(path, bytes).hasErrors;
      if (path.startsWith("agents/") || path === "other.toml") assert.equal(quick, clean, bytes.toString());
      else assert.ok(!quick || clean, bytes.toString());
    }),
    { numRuns: 300 },
  );
});
