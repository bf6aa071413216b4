// The agent-aware plan's rules, one case each: what changed per agent and MCP server, and its impact.
import { test } from "node:test";
import assert from "node:assert/strict";
import { analyzeFile } from "../../src/config/analyze-file.js";
import { configSide, planAgentChanges } from "../../src/config/plan-agent-changes.js";
import { refuseBreaking, storedPlan } from "../../src/config/breaking-guard.js";
import { isCaxtonError } from "../../src/errors/caxton-error.js";
import type { AgentPlan } from "../../src/protocol/messages.js";
import { enc, lines } from "./helpers.js";

type Files = Record<string, string>;

export function planOf(before: Files, after: Files): AgentPlan {
  const analyses = (files: Files) =>
    new Map(Object.entries(files).map(([p, t]) => [p, analyzeFile(p, enc(t))]));
  const paths = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  const changed = paths.filter((p) => before[p] !== after[p]);
  return planAgentChanges(configSide(analyses(before)), configSide(analyses(after)), changed);
}

/** An agent in the guide's form; `over` replaces or adds top-level lines by key, `tables` are appended. */
export function agentText(name: string, over: Record<string, string> = {}, ...tables: string[]): string {
  const keys: Record<string, string> = {
    name: `"${name}"`,
    version: '"1.0.0"',
    description: '"Does things"',
    capabilities: '["planning"]',
    tools: '["read_file", "mcp__git__git_log"]',
    system_prompt: '"You plan."',
    user_prompt_template: '"Plan: {{request}} with {{context}}"',
    ...over,
  };
  return lines(...Object.entries(keys).map(([k, v]) => `${k} = ${v}`), ...tables);
}

const MCP = lines(
  "[servers.git]",
  'command = "mcp-server-git"',
  "[servers.web]",
  'url = "https://web.example/mcp"',
);
const base: Files = {
  "agents/a.toml": agentText("alpha", {}, "[llm]", 'provider = "openai"', 'model = "gpt-4"'),
  "agents/b.toml": agentText("beta", { capabilities: '["planning", "search"]' }),
  "tools/mcp_servers.toml": MCP,
};
const edit = (path: string, text: string): Files => ({ ...base, [path]: text });
const agentRows = (p: AgentPlan) => p.agents.map((a) => [a.name, a.change, a.impact, a.fields, a.reasons]);

test("plan: nothing changed, or only comments and key order: cosmetic with no field", () => {
  assert.deepEqual(planOf(base, base), { impact: null, agents: [], mcp_servers: [] });
  const reordered = lines(
    "# comment",
    'user_prompt_template = "Plan: {{request}} with {{context}}"',
    'system_prompt = """You plan."""',
    'tools = [ "read_file",  "mcp__git__git_log" ]',
    'capabilities = ["planning"]',
    "description = 'Does things'",
    'version = "1.0.0"',
    'name = "alpha"',
    "[llm]",
    'model = "gpt-4"',
    'provider = "openai"',
  );
  const p = planOf(base, edit("agents/a.toml", reordered));
  assert.deepEqual(agentRows(p), [["alpha", "modified", "cosmetic", [], []]]);
  assert.equal(p.impact, "cosmetic");
});

test("plan: the tool list written as a [tools] table instead of a list is cosmetic", () => {
  const table = lines(
    ...agentText("beta", { capabilities: '["planning", "search"]' })
      .split("\n")
      .filter((l) => l !== "" && !l.startsWith("tools")),
    "[tools]",
    'available = ["read_file", "mcp__git__git_log"]',
  );
  assert.deepEqual(agentRows(planOf(base, edit("agents/b.toml", table))), [
    ["beta", "modified", "cosmetic", [], []],
  ]);
});

test("plan: description or documentation only is cosmetic; the version alone is compatible", () => {
  const docs = planOf(
    base,
    edit(
      "agents/b.toml",
      agentText("beta", {
        capabilities: '["planning", "search"]',
        description: '"New words"',
        documentation: '"# Beta"',
      }),
    ),
  );
  assert.deepEqual(agentRows(docs), [["beta", "modified", "cosmetic", ["description", "documentation"], []]]);
  const version = planOf(
    base,
    edit("agents/b.toml", agentText("beta", { capabilities: '["planning", "search"]', version: '"1.1.0"' })),
  );
  assert.deepEqual(agentRows(version), [["beta", "modified", "compatible", ["version"], []]]);
});

test("plan: model and sampling, memory, conversation and the guide's tables are compatible, with dotted fields", () => {
  const p = planOf(
    base,
    edit(
      "agents/a.toml",
      agentText(
        "alpha",
        {},
        "[llm]",
        'provider = "openai"',
        'model = "gpt-4-turbo"',
        "temperature = 0.2",
        "[memory]",
        "context_window = 8000",
        "[conversation]",
        "max_turns = 10",
        "[schedule]",
        'cron = "0 8 * * MON"',
      ),
    ),
  );
  assert.deepEqual(agentRows(p), [
    [
      "alpha",
      "modified",
      "compatible",
      ["conversation.max_turns", "llm.model", "llm.temperature", "memory.context_window", "schedule"],
      [],
    ],
  ]);
});

test("plan: a narrowed permission is breaking, a widened one compatible, each named with before and after", () => {
  const withPermissions = (...rows: string[]) =>
    edit(
      "agents/b.toml",
      agentText("beta", { capabilities: '["planning", "search"]' }, "[permissions]", ...rows),
    );
  const open = withPermissions(
    'file_access = "readwrite"',
    'network_access = "full"',
    'memory_limit = "1GiB"',
  );
  // from the guide's defaults (readonly, restricted, no limits) to more access and a memory cap
  assert.deepEqual(agentRows(planOf(base, open)), [
    [
      "beta",
      "modified",
      "breaking",
      ["permissions"],
      [
        "`permissions.file_access` widened: readonly → readwrite",
        "`permissions.network_access` widened: restricted → full",
        "`permissions.memory_limit` narrowed: no limit → 1GiB",
      ],
    ],
  ]);
  const closed = withPermissions('file_access = "none"', 'network_access = "full"', 'memory_limit = "2GiB"');
  assert.deepEqual(agentRows(planOf(open, closed)), [
    [
      "beta",
      "modified",
      "breaking",
      ["permissions.file_access", "permissions.memory_limit"],
      [
        "`permissions.file_access` narrowed: readwrite → none",
        "`permissions.memory_limit` widened: 1GiB → 2GiB",
      ],
    ],
  ]);
  const wider = withPermissions('file_access = "readwrite"', 'network_access = "full"');
  assert.deepEqual(agentRows(planOf(open, wider)), [
    [
      "beta",
      "modified",
      "compatible",
      ["permissions.memory_limit"],
      ["`permissions.memory_limit` widened: 1GiB → no limit"],
    ],
  ]);
  // the same limit written in other units is no move
  const sameCap = withPermissions(
    'file_access = "readwrite"',
    'network_access = "full"',
    'memory_limit = "1024MiB"',
  );
  assert.deepEqual(
    agentRows(planOf(open, sameCap)).map((r) => r[4]),
    [[]],
  );
});

test("plan: a removed tool and a removed capability are breaking; one nobody else provides says so", () => {
  const p = planOf(
    base,
    edit(
      "agents/b.toml",
      agentText("beta", { capabilities: '["code_review"]', tools: '["read_file", "write_file"]' }),
    ),
  );
  assert.deepEqual(agentRows(p), [
    [
      "beta",
      "modified",
      "breaking",
      ["capabilities", "tools.available"],
      [
        "capability `planning` removed",
        "capability `search` removed; no other agent provides it",
        "capability `code_review` added",
        "tool `mcp__git__git_log` removed",
        "tool `write_file` added",
      ],
    ],
  ]);
});

test("plan: a removed placeholder is breaking, a reworded prompt compatible, each with a word diff", () => {
  const p = planOf(
    base,
    edit(
      "agents/a.toml",
      agentText(
        "alpha",
        { system_prompt: '"You plan carefully."', user_prompt_template: '"Plan: {{request}}"' },
        "[llm]",
        'provider = "openai"',
        'model = "gpt-4"',
      ),
    ),
  );
  const [a] = p.agents;
  assert.equal(a?.impact, "breaking");
  assert.deepEqual(a?.fields, ["system_prompt", "user_prompt_template"]);
  assert.deepEqual(a?.reasons, ["placeholder `{{context}}` removed from user_prompt_template"]);
  assert.deepEqual(a?.prompts, [
    { field: "system_prompt", length_before: 9, length_after: 19, word_diff: "You plan {+carefully+}." },
    {
      field: "user_prompt_template",
      length_before: 34,
      length_after: 17,
      word_diff: "Plan: {{request}} [-with {{context}}-]",
    },
  ]);
});

test("plan: added, removed (with lost capabilities), renamed (same file, new name), moved (same name, new file)", () => {
  const added = planOf(base, { ...base, "agents/c.toml": agentText("gamma") });
  assert.deepEqual(agentRows(added), [["gamma", "added", "compatible", [], ["agent added"]]]);
  const { "agents/b.toml": _b, ...withoutB } = base;
  assert.deepEqual(agentRows(planOf(base, withoutB)), [
    [
      "beta",
      "removed",
      "breaking",
      [],
      [
        "agent removed",
        "capability `planning` removed",
        "capability `search` removed; no other agent provides it",
      ],
    ],
  ]);
  const renamed = planOf(
    base,
    edit("agents/b.toml", agentText("bravo", { capabilities: '["planning", "search"]' })),
  );
  assert.deepEqual(agentRows(renamed), [
    ["bravo", "renamed", "breaking", ["name"], ["renamed from `beta`: callers of `beta` find no agent"]],
  ]);
  assert.equal(renamed.agents[0]?.renamed_from, "beta");
  const moved = planOf(base, { ...withoutB, "agents/beta/agent.toml": base["agents/b.toml"] as string });
  assert.deepEqual(agentRows(moved), [["beta", "modified", "cosmetic", [], []]]);
  assert.equal(moved.agents[0]?.path, "agents/beta/agent.toml");
});

test("plan: MCP servers — removed or a changed command/url is breaking with the agents using it; args and added are not", () => {
  const p = planOf(
    base,
    edit(
      "tools/mcp_servers.toml",
      lines(
        "[servers.git]",
        'command = "mcp-git-2"',
        'args = ["-v"]',
        "[servers.docs]",
        'url = "https://docs.example/mcp"',
      ),
    ),
  );
  assert.equal(p.impact, "breaking");
  assert.deepEqual(p.agents, []);
  assert.deepEqual(
    p.mcp_servers.map((m) => [m.name, m.change, m.impact, m.fields, m.reasons, m.agents]),
    [
      ["docs", "added", "compatible", [], ["MCP server added"], []],
      ["git", "modified", "breaking", ["args", "command"], ["`command` changed"], ["alpha", "beta"]],
      ["web", "removed", "breaking", [], ["MCP server removed"], []],
    ],
  );
  const argsOnly = planOf(
    base,
    edit(
      "tools/mcp_servers.toml",
      MCP.replace('command = "mcp-server-git"', 'command = "mcp-server-git"\nargs = ["-v"]'),
    ),
  );
  assert.deepEqual(
    argsOnly.mcp_servers.map((m) => [m.name, m.impact]),
    [["git", "compatible"]],
  );
});

test("breaking guard: refuses a breaking plan with the plan in its detail; a stored plan is capped", () => {
  const { "agents/b.toml": _b, ...withoutB } = base;
  const plan = planOf(base, withoutB);
  assert.throws(
    () => refuseBreaking(plan),
    (err) =>
      isCaxtonError(err) &&
      err.code === "E_BREAKING_CHANGE" &&
      err.message === "this deployment has breaking changes to agent beta; nothing was applied" &&
      (err.detail?.plan as AgentPlan).agents[0]?.name === "beta",
  );
  refuseBreaking(planOf(base, { ...base, "agents/c.toml": agentText("gamma") }));
  const many: AgentPlan = {
    impact: "breaking",
    mcp_servers: [],
    agents: Array.from({ length: 250 }, (_, i) => ({
      name: `agent-${String(i).padStart(3, "0")}`,
      path: `agents/${i}.toml`,
      change: "modified" as const,
      impact: i === 249 ? ("breaking" as const) : ("cosmetic" as const),
      fields: [],
      reasons: [],
      prompts: [{ field: "system_prompt", length_before: 1, length_after: 2, word_diff: "x" }],
    })),
  };
  const stored = storedPlan(many);
  assert.equal(stored.agents.length, 200);
  assert.equal(stored.agents_omitted, 50);
  assert.ok(
    stored.agents.some((a) => a.name === "agent-249"),
    "the breaking one is kept",
  );
  assert.ok(
    stored.agents.every((a) => a.prompts === undefined),
    "word diffs are not stored",
  );
});
