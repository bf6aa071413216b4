// Property: the hand-written reading of a deploy's answer (quick-deploy-result.ts) returns exactly what
// `DeployResultSchema.safeParse` returns when zod accepts the value (the same keys in the same order,
// unknown ones dropped), and null exactly when zod rejects it. Inputs: valid answers, with or without a plan,
// with a few values replaced by values at or across each rule's edge, deleted, or extra keys added.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { quickDeployResult } from "../../src/client/quick-deploy-result.js";
import { DeployResultSchema } from "../../src/protocol/messages.js";

const hex = fc.stringMatching(/^[0-9a-f]{64}$/);
const impact = fc.constantFrom("cosmetic", "compatible", "breaking");
const words = fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 });
const int = fc.integer({ min: -5, max: 1_000_000 });
const diagnostic = fc.record({
  path: fc.string({ maxLength: 8 }),
  line: fc.option(int, { nil: null }),
  column: fc.option(int, { nil: null }),
  severity: fc.constantFrom("error", "warning"),
  code: fc.string({ maxLength: 8 }),
  message: fc.string({ maxLength: 8 }),
  suggestion: fc.option(fc.string({ maxLength: 8 }), { nil: null }),
});
const prompt = fc.record({
  field: fc.string({ maxLength: 6 }),
  length_before: int,
  length_after: int,
  word_diff: fc.string({ maxLength: 8 }),
});
const agentChange = fc.record(
  {
    name: fc.string({ maxLength: 6 }),
    path: fc.string({ maxLength: 8 }),
    change: fc.constantFrom("added", "modified", "removed", "renamed"),
    impact,
    fields: words,
    reasons: words,
    renamed_from: fc.string({ maxLength: 6 }),
    prompts: fc.array(prompt, { maxLength: 2 }),
  },
  { requiredKeys: ["name", "path", "change", "impact", "fields", "reasons"] },
);
const mcpChange = fc.record({
  name: fc.string({ maxLength: 6 }),
  change: fc.constantFrom("added", "modified", "removed"),
  impact,
  fields: words,
  reasons: words,
  agents: words,
});
const plan = fc.record(
  {
    impact: fc.option(impact, { nil: null }),
    agents: fc.array(agentChange, { maxLength: 3 }),
    mcp_servers: fc.array(mcpChange, { maxLength: 2 }),
    agents_omitted: int,
  },
  { requiredKeys: ["impact", "agents", "mcp_servers"] },
);
const result = fc
  .record(
    {
      success: fc.constant(true),
      dry_run: fc.boolean(),
      up_to_date: fc.boolean(),
      deployment_id: fc.option(int, { nil: null }),
      deployed_checksum: hex,
      previous_checksum: fc.option(hex, { nil: null }),
      changes_applied: int,
      added: words,
      modified: words,
      deleted: words,
      warnings: fc.array(diagnostic, { maxLength: 2 }),
      timestamp: fc.string({ maxLength: 10 }),
      validation_ms: fc.double({ noNaN: true, noDefaultInfinity: true }),
      apply_ms: fc.double({ noNaN: true, noDefaultInfinity: true }),
      plan,
    },
    { requiredKeys: ["success", "dry_run", "up_to_date", "deployment_id", "deployed_checksum"] },
  )
  .map((r) => ({
    // every required key the record may have left out
    previous_checksum: null,
    changes_applied: 1,
    added: [],
    modified: ["agents/a.toml"],
    deleted: [],
    warnings: [],
    timestamp: "2026-12-02T04:00:00.000Z",
    validation_ms: 1.5,
    apply_ms: 2,
    ...r,
  }));

const EDGE: readonly unknown[] = [
  ...[null, true, false, 0, -0, 1, 1.5, -1, 2 ** 53, 2 ** 53 - 1, Infinity, "", "x", "A".repeat(64)],
  ...[
    "a".repeat(64),
    "a".repeat(63),
    "a".repeat(65),
    "g".repeat(64),
    "error",
    "warning",
    "Error",
    "cosmetic",
    "breaking",
  ],
  ...["added", "modified", "removed", "renamed", "moved", [], ["x"], [1], [null], {}, { x: 1 }],
  ...[[{ field: "f", length_before: 1, length_after: 2, word_diff: "" }], undefined],
];
const KEYS = [
  ...["success", "dry_run", "up_to_date", "deployment_id", "deployed_checksum", "previous_checksum"],
  ...["changes_applied", "added", "modified", "deleted", "warnings", "timestamp", "validation_ms"],
  ...["apply_ms", "plan", "extra"],
];
const PLAN_KEYS = ["impact", "agents", "mcp_servers", "agents_omitted", "extra"];
const ENTRY_KEYS = [
  ...["name", "path", "change", "impact", "fields", "reasons", "renamed_from", "prompts", "agents"],
  ...["severity", "line", "column", "code", "message", "suggestion", "extra"],
];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Where a change goes: the result, its plan, or the first warning / agent change / MCP change / prompt. */
type Where = "top" | "plan" | "warnings" | "agents" | "mcp_servers" | "prompts";

/** One change: a key of the result, of its plan, or of the first warning / agent change / MCP change. */
const mutation = fc.oneof(
  fc.tuple(fc.constant("top"), fc.constantFrom(...KEYS)),
  fc.tuple(fc.constant("plan"), fc.constantFrom(...PLAN_KEYS)),
  fc.tuple(fc.constantFrom("warnings", "agents", "mcp_servers", "prompts"), fc.constantFrom(...ENTRY_KEYS)),
) as fc.Arbitrary<[Where, string]>;
const mutated = fc
  .tuple(result, fc.array(fc.tuple(mutation, fc.constantFrom(...EDGE)), { maxLength: 3 }))
  .map(([r, changes]) => {
    const value = structuredClone(r) as Obj;
    for (const [[where, key], edge] of changes) change(value, where, key, edge);
    return asReceived(value);
  });

function change(value: Obj, where: Where, key: string, edge: unknown): void {
  const plan = isObj(value["plan"]) ? value["plan"] : undefined;
  const agents = Array.isArray(plan?.["agents"]) ? (plan["agents"] as unknown[]) : [];
  const target =
    where === "top"
      ? value
      : where === "plan"
        ? plan
        : where === "warnings"
          ? (value["warnings"] as unknown[] | undefined)?.[0]
          : where === "prompts"
            ? ((agents[0] as Obj | undefined)?.["prompts"] as unknown[] | undefined)?.[0]
            : (plan?.[where] as unknown[] | undefined)?.[0];
  if (!isObj(target)) return;
  if (edge === undefined) delete target[key];
  else target[key] = structuredClone(edge);
}

/** As it arrives: JSON text parsed (so a number too large for a double is Infinity). */
function asReceived(value: unknown): unknown {
  const text = JSON.stringify(value, (_, v: unknown) => (v === Infinity ? "__inf__" : v));
  return JSON.parse(text, (_, v: unknown) => (v === "__inf__" ? Infinity : v)) as unknown;
}

function agree(value: unknown): boolean {
  const zod = DeployResultSchema.safeParse(value);
  const quick = quickDeployResult(value);
  if (!zod.success) {
    assert.equal(quick, null, JSON.stringify(value));
    return false;
  }
  assert.deepStrictEqual(quick, zod.data);
  assert.equal(JSON.stringify(quick), JSON.stringify(zod.data)); // the same key order
  return true;
}

test("property: the hand-written reading of a deploy's answer is zod's, or null exactly when zod fails", () => {
  let accepted = 0;
  fc.assert(
    fc.property(mutated, (value) => {
      if (agree(value)) accepted++;
    }),
    { numRuns: 2000 },
  );
  assert.ok(accepted > 200 && accepted < 1800, `accepted ${accepted} of 2000`);
});

test("every edge value at every key of a full answer: zod's value, or null exactly when zod fails", () => {
  const full: Obj = {
    success: true,
    dry_run: false,
    up_to_date: false,
    deployment_id: 7,
    deployed_checksum: "a".repeat(64),
    previous_checksum: "b".repeat(64),
    changes_applied: 1,
    added: [],
    modified: ["agents/a.toml"],
    deleted: [],
    warnings: [
      {
        path: "agents/a.toml",
        line: 3,
        column: 1,
        severity: "warning",
        code: "W_X",
        message: "m",
        suggestion: null,
      },
    ],
    timestamp: "2026-12-02T04:00:00.000Z",
    validation_ms: 1.5,
    apply_ms: 2,
    plan: {
      impact: "compatible",
      agents: [
        {
          name: "a",
          path: "agents/a.toml",
          change: "modified",
          impact: "compatible",
          fields: ["description"],
          reasons: [],
          renamed_from: "b",
          prompts: [{ field: "system_prompt", length_before: 1, length_after: 2, word_diff: "{+x+}" }],
        },
      ],
      mcp_servers: [
        { name: "git", change: "added", impact: "compatible", fields: [], reasons: [], agents: [] },
      ],
      agents_omitted: 0,
    },
  };
  agree(full);
  const places: [Where, readonly string[]][] = [
    ["top", KEYS],
    ["plan", PLAN_KEYS],
    ["warnings", ENTRY_KEYS],
    ["agents", ENTRY_KEYS],
    ["mcp_servers", ENTRY_KEYS],
    ["prompts", ["field", "length_before", "length_after", "word_diff", "extra"]],
  ];
  for (const [where, keys] of places) {
    for (const key of keys) {
      for (const edge of EDGE) {
        const value = structuredClone(full);
        change(value, where, key, edge);
        agree(asReceived(value));
      }
    }
  }
});
