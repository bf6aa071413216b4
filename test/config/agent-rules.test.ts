// Table tests for every per-file rule of an agent file: exact code, position, message and suggestion.
import { test } from "node:test";
import assert from "node:assert/strict";
import { analyzeFile } from "../../src/config/analyze-file.js";
import { normalizeAgentConfig } from "../../src/config/agent-schema.js";
import { parseToml } from "../../src/config/toml-values.js";
import { agent, enc, row, runCases, type Case } from "./helpers.js";

const P = "agents/reviewer.toml";
const TOP = "at the top of the file, before any [table] header";
const NAME_RULE = 'must match ^[a-z][a-z0-9-]*[a-z0-9]$ with no "--"';
const VERSION_RULE = "expected MAJOR.MINOR.PATCH, each a non-negative integer up to 4294967295";
const U32 = "must be an integer from 0 to 4294967295";

const cases: Case[] = [
  ["valid agent", P, agent(), []],
  [
    "valid: nested folder layout, empty lists, u32 boundary version",
    "agents/r/agent.toml",
    agent({ 2: 'version = "4294967295.0.01"', 3: "capabilities = []", 8: "available = []" }),
    [],
  ],
  [
    "valid: every optional table and key",
    P,
    agent(
      { 6: 'description = "d"\ndocumentation = """multi\nline"""' },
      "[llm]",
      'provider = "anthropic"',
      'model = "claude"',
      "temperature = 1",
      "max_tokens = 4096",
      "top_p = 0.9",
      "frequency_penalty = -0.5",
      "presence_penalty = 0.5",
      "[memory]",
      "enabled = false",
      "context_window = 0",
      'scope = "global"',
      'retention_period = "30d"',
      "max_entries = 4294967295",
      "[conversation]",
      "max_turns = 1",
      "timeout_seconds = 60",
      "[parameters]",
      "anything = { nested = [1, 'two'] }",
    ),
    [],
  ],

  // ---- required keys ----
  [
    "missing name",
    P,
    agent({ 1: null }),
    [["E_AGENT_MISSING_KEY", 1, 1, "missing required key `name`", `add \`name = "my-agent"\` ${TOP}`]],
  ],
  [
    "missing version",
    P,
    agent({ 2: null }),
    [["E_AGENT_MISSING_KEY", 1, 1, "missing required key `version`", `add \`version = "1.0.0"\` ${TOP}`]],
  ],
  [
    "missing capabilities",
    P,
    agent({ 3: null }),
    [
      [
        "E_AGENT_MISSING_KEY",
        1,
        1,
        "missing required key `capabilities`",
        `add \`capabilities = ["code_analysis"]\` ${TOP}`,
      ],
    ],
  ],
  [
    "missing system_prompt",
    P,
    agent({ 4: null }),
    [
      [
        "E_AGENT_MISSING_KEY",
        1,
        1,
        "missing required key `system_prompt`",
        `add \`system_prompt = '''...'''\` ${TOP}`,
      ],
    ],
  ],
  [
    "missing user_prompt_template",
    P,
    agent({ 5: null }),
    [
      [
        "E_AGENT_MISSING_KEY",
        1,
        1,
        "missing required key `user_prompt_template`",
        `add \`user_prompt_template = "..."\` ${TOP}`,
      ],
    ],
  ],
  [
    "system_prompt written after the [tools] header",
    P,
    agent({ 4: null }, 'system_prompt = "You review code."'),
    [
      [
        "E_AGENT_MISSING_KEY",
        8,
        1,
        "missing required key `system_prompt`",
        "`system_prompt` on line 8 comes after the [tools] header on line 6, so TOML reads it as `tools.system_prompt`; move it above the first table header (line 6)",
      ],
    ],
  ],
  [
    "multi-line system_prompt written under [memory]",
    P,
    agent({ 4: null }, "[memory]", "system_prompt = '''", "You review code.", "'''", "context_window = 8000"),
    [
      [
        "E_AGENT_MISSING_KEY",
        9,
        1,
        "missing required key `system_prompt`",
        "`system_prompt` on line 9 comes after the [memory] header on line 8, so TOML reads it as `memory.system_prompt`; move it above the first table header (line 6)",
      ],
    ],
  ],
  [
    "missing [tools]",
    P,
    agent({ 7: null, 8: null }),
    [
      [
        "E_AGENT_MISSING_KEY",
        1,
        1,
        "missing required table `[tools]`",
        "add a [tools] table with `available = [...]` (an empty list is allowed)",
      ],
    ],
  ],
  [
    "`available` without a [tools] header",
    P,
    agent({ 7: null }),
    [
      [
        "E_AGENT_MISSING_KEY",
        1,
        1,
        "missing required table `[tools]`",
        "`available` on line 7 is at the top level; put a [tools] header above it (after the top-level keys)",
      ],
    ],
  ],
  [
    "[tools] without available",
    P,
    agent({ 8: null }),
    [
      [
        "E_AGENT_MISSING_KEY",
        7,
        1,
        "missing required key `tools.available`",
        "add `available = [...]` under the [tools] header",
      ],
    ],
  ],
  [
    "available written above its [tools] header",
    P,
    agent({ 6: 'available = ["read_file"]', 8: null }),
    [
      [
        "E_AGENT_MISSING_KEY",
        6,
        1,
        "missing required key `tools.available`",
        "`available` on line 6 is at the top level; move it below the [tools] header (line 7)",
      ],
    ],
  ],

  // ---- types ----
  [
    "name not a string",
    P,
    agent({ 1: "name = 5" }),
    [["E_AGENT_BAD_TYPE", 1, 8, "`name` must be a string, found integer", null]],
  ],
  [
    "version as a float",
    P,
    agent({ 2: "version = 1.0" }),
    [["E_AGENT_BAD_TYPE", 2, 11, "`version` must be a string, found float", null]],
  ],
  [
    "capabilities not an array",
    P,
    agent({ 3: 'capabilities = "code_analysis"' }),
    [["E_AGENT_BAD_TYPE", 3, 16, "`capabilities` must be an array, found string", null]],
  ],
  [
    "capability not a string",
    P,
    agent({ 3: 'capabilities = ["a", 3]' }),
    [["E_AGENT_BAD_TYPE", 3, 22, "`capabilities[1]` must be a string, found integer", null]],
  ],
  [
    "system_prompt not a string",
    P,
    agent({ 4: "system_prompt = true" }),
    [["E_AGENT_BAD_TYPE", 4, 17, "`system_prompt` must be a string, found boolean", null]],
  ],
  [
    "tools a list: the agent-format guide's form is valid",
    P,
    agent({ 7: null, 8: 'tools = ["read_file"]' }),
    [],
  ],
  [
    "tools neither a list nor a table",
    P,
    agent({ 7: null, 8: 'tools = "read_file"' }),
    [
      [
        "E_AGENT_BAD_TYPE",
        7,
        9,
        "`tools` must be an array of tool names or a [tools] table, found string",
        'e.g. `tools = ["read_file"]` at the top of the file',
      ],
    ],
  ],
  [
    "memory not a table",
    P,
    agent({ 6: 'memory = "big"' }),
    [["E_AGENT_BAD_TYPE", 6, 10, "`memory` must be a table, found string", null]],
  ],
  [
    "memory as a date",
    P,
    agent({ 6: "memory = 1979-05-27" }),
    [["E_AGENT_BAD_TYPE", 6, 10, "`memory` must be a table, found date-time", null]],
  ],
  [
    "parameters not a table",
    P,
    agent({ 6: "parameters = 3" }),
    [["E_AGENT_BAD_TYPE", 6, 14, "`parameters` must be a table, found integer", null]],
  ],
  [
    "description not a string",
    P,
    agent({ 6: "description = 1" }),
    [["E_AGENT_BAD_TYPE", 6, 15, "`description` must be a string, found integer", null]],
  ],

  // ---- name ----
  [
    "name with capitals and underscore",
    P,
    agent({ 1: 'name = "Code_Reviewer"' }),
    [
      [
        "E_AGENT_BAD_NAME",
        1,
        8,
        `invalid agent name "Code_Reviewer": ${NAME_RULE}`,
        'use lowercase letters, digits and single hyphens, e.g. "code-reviewer"',
      ],
    ],
  ],
  [
    "name with --",
    P,
    agent({ 1: 'name = "a--b"' }),
    [
      [
        "E_AGENT_BAD_NAME",
        1,
        8,
        `invalid agent name "a--b": ${NAME_RULE}`,
        'use lowercase letters, digits and single hyphens, e.g. "a-b"',
      ],
    ],
  ],
  [
    "name ending in -",
    P,
    agent({ 1: 'name = "reviewer-"' }),
    [
      [
        "E_AGENT_BAD_NAME",
        1,
        8,
        `invalid agent name "reviewer-": ${NAME_RULE}`,
        'use lowercase letters, digits and single hyphens, e.g. "reviewer"',
      ],
    ],
  ],
  [
    "name of one letter",
    P,
    agent({ 1: 'name = "x"' }),
    [
      [
        "E_AGENT_BAD_NAME",
        1,
        8,
        `invalid agent name "x": ${NAME_RULE}`,
        "use lowercase letters, digits and single hyphens, starting with a letter",
      ],
    ],
  ],
  [
    "name starting with a digit",
    P,
    agent({ 1: 'name = "9lives"' }),
    [
      [
        "E_AGENT_BAD_NAME",
        1,
        8,
        `invalid agent name "9lives": ${NAME_RULE}`,
        'use lowercase letters, digits and single hyphens, e.g. "lives"',
      ],
    ],
  ],

  // ---- version ----
  [
    "version with two parts",
    P,
    agent({ 2: 'version = "1.0"' }),
    [["E_AGENT_BAD_VERSION", 2, 11, `invalid version "1.0": ${VERSION_RULE}`, 'use "1.0.0"']],
  ],
  [
    "version with a v",
    P,
    agent({ 2: 'version = "v2.1.3"' }),
    [["E_AGENT_BAD_VERSION", 2, 11, `invalid version "v2.1.3": ${VERSION_RULE}`, 'use "2.1.3"']],
  ],
  [
    "version part over u32",
    P,
    agent({ 2: 'version = "1.2.4294967296"' }),
    [["E_AGENT_BAD_VERSION", 2, 11, `invalid version "1.2.4294967296": ${VERSION_RULE}`, 'e.g. "1.0.0"']],
  ],
  [
    "version with a pre-release",
    P,
    agent({ 2: 'version = "1.2.3-beta"' }),
    [["E_AGENT_BAD_VERSION", 2, 11, `invalid version "1.2.3-beta": ${VERSION_RULE}`, 'e.g. "1.0.0"']],
  ],

  // ---- capabilities ----
  [
    "capability with a hyphen",
    P,
    agent({ 3: 'capabilities = ["code-analysis"]' }),
    [
      [
        "E_AGENT_BAD_CAPABILITY",
        3,
        17,
        'invalid capability "code-analysis" in `capabilities[0]`: use only letters, digits and _',
        'try "code_analysis"',
      ],
    ],
  ],
  [
    "empty capability",
    P,
    agent({ 3: 'capabilities = ["ok", ""]' }),
    [["E_AGENT_BAD_CAPABILITY", 3, 23, "`capabilities[1]` must not be empty", null]],
  ],
  [
    "capability of punctuation only",
    P,
    agent({ 3: 'capabilities = ["--"]' }),
    [
      [
        "E_AGENT_BAD_CAPABILITY",
        3,
        17,
        'invalid capability "--" in `capabilities[0]`: use only letters, digits and _',
        null,
      ],
    ],
  ],

  // ---- tools ----
  [
    "tool with a hyphen",
    P,
    agent({ 8: 'available = ["read-file"]' }),
    [
      [
        "E_AGENT_BAD_TOOL",
        8,
        14,
        'invalid tool name "read-file" in `tools.available[0]`: use only letters, digits and _',
        'try "read_file"',
      ],
    ],
  ],
  [
    "empty tool",
    P,
    agent({ 8: 'available = [""]' }),
    [["E_AGENT_BAD_TOOL", 8, 14, "`tools.available[0]` must not be empty", null]],
  ],
  ...["mcp__git", "mcp__git__", "mcp____x"].map((t): Case => [
    `malformed MCP tool ${t}`,
    P,
    agent({ 8: `available = ["${t}"]` }),
    [
      [
        "E_AGENT_BAD_TOOL",
        8,
        14,
        `invalid MCP tool name "${t}" in \`tools.available[0]\`: expected mcp__<server>__<tool>`,
        'e.g. "mcp__git__git_diff" for tool git_diff of the server defined as [servers.git]',
      ],
    ],
  ]),
  [
    "MCP tool with a capitalised server",
    P,
    agent({ 8: 'available = ["mcp__Git__diff"]' }),
    [
      [
        "E_AGENT_BAD_TOOL",
        8,
        14,
        'invalid MCP tool name "mcp__Git__diff" in `tools.available[0]`: server name "Git" must match ^[a-z][a-z0-9_]*$',
        'try "mcp__git__diff"',
      ],
    ],
  ],
  [
    "MCP tool with a server starting with a digit",
    P,
    agent({ 8: 'available = ["mcp__1x__diff"]' }),
    [
      [
        "E_AGENT_BAD_TOOL",
        8,
        14,
        'invalid MCP tool name "mcp__1x__diff" in `tools.available[0]`: server name "1x" must match ^[a-z][a-z0-9_]*$',
        null,
      ],
    ],
  ],
  [
    "well-formed MCP tool (the server is checked across files)",
    P,
    agent({ 8: 'available = ["read_file", "mcp__git__git_diff"]' }),
    [],
  ],

  // ---- [llm] ----
  [
    "[llm] without provider",
    P,
    agent({}, "", "[llm]", 'model = "m"'),
    [
      [
        "E_AGENT_MISSING_KEY",
        10,
        1,
        "missing required key `llm.provider`",
        'add `provider = "openai"` (or "anthropic", "local") under the [llm] header',
      ],
    ],
  ],
  [
    "[llm] without model",
    P,
    agent({}, "", "[llm]", 'provider = "local"'),
    [
      [
        "E_AGENT_MISSING_KEY",
        10,
        1,
        "missing required key `llm.model`",
        'add `model = "..."` under the [llm] header',
      ],
    ],
  ],
  [
    "provider typo",
    P,
    agent({}, "", "[llm]", 'provider = "openia"', 'model = "m"'),
    [
      [
        "E_AGENT_BAD_VALUE",
        11,
        12,
        '`llm.provider` must be one of "openai", "anthropic", "local", found "openia"',
        'did you mean "openai"?',
      ],
    ],
  ],
  [
    "provider unknown",
    P,
    agent({}, "", "[llm]", 'provider = "mistral"', 'model = "m"'),
    [
      [
        "E_AGENT_BAD_VALUE",
        11,
        12,
        '`llm.provider` must be one of "openai", "anthropic", "local", found "mistral"',
        null,
      ],
    ],
  ],
  ...(
    [
      ["temperature = 2.5", "E_AGENT_BAD_VALUE", 15, "`llm.temperature` must be between 0 and 2, found 2.5"],
      ["temperature = -1", "E_AGENT_BAD_VALUE", 15, "`llm.temperature` must be between 0 and 2, found -1"],
      ['temperature = "hot"', "E_AGENT_BAD_TYPE", 15, "`llm.temperature` must be a number, found string"],
      ["top_p = 1.5", "E_AGENT_BAD_VALUE", 9, "`llm.top_p` must be between 0 and 1, found 1.5"],
      ["max_tokens = -1", "E_AGENT_BAD_VALUE", 14, `\`llm.max_tokens\` ${U32}, found -1`],
      ["max_tokens = 1.5", "E_AGENT_BAD_TYPE", 14, "`llm.max_tokens` must be an integer, found float"],
      [
        "frequency_penalty = nan",
        "E_AGENT_BAD_VALUE",
        21,
        "`llm.frequency_penalty` must be a finite number, found nan",
      ],
      [
        "presence_penalty = -inf",
        "E_AGENT_BAD_VALUE",
        20,
        "`llm.presence_penalty` must be a finite number, found -inf",
      ],
    ] as const
  ).map(([line, code, column, message]): Case => [
    line,
    P,
    agent({}, "", "[llm]", 'provider = "local"', 'model = "m"', line),
    [[code, 13, column, message, null]],
  ]),

  // ---- [memory] and [conversation] ----
  [
    "context_window as a float",
    P,
    agent({}, "", "[memory]", "context_window = 4000.0"),
    [
      [
        "E_AGENT_BAD_TYPE",
        11,
        18,
        "`memory.context_window` must be an integer, found float",
        "write 4000 without a decimal point",
      ],
    ],
  ],
  [
    "scope typo",
    P,
    agent({}, "", "[memory]", 'scope = "globl"'),
    [
      [
        "E_AGENT_BAD_VALUE",
        11,
        9,
        '`memory.scope` must be one of "agent", "conversation", "global", found "globl"',
        'did you mean "global"?',
      ],
    ],
  ],
  [
    "enabled not a boolean",
    P,
    agent({}, "", "[memory]", 'enabled = "yes"'),
    [["E_AGENT_BAD_TYPE", 11, 11, "`memory.enabled` must be a boolean, found string", null]],
  ],
  [
    "max_entries over u32",
    P,
    agent({}, "", "[memory]", "max_entries = 4294967296"),
    [["E_AGENT_BAD_VALUE", 11, 15, `\`memory.max_entries\` ${U32}, found 4294967296`, null]],
  ],
  [
    "retention_period not a string",
    P,
    agent({}, "", "[memory]", "retention_period = 30"),
    [["E_AGENT_BAD_TYPE", 11, 20, "`memory.retention_period` must be a string, found integer", null]],
  ],
  [
    "max_turns negative",
    P,
    agent({}, "", "[conversation]", "max_turns = -5"),
    [["E_AGENT_BAD_VALUE", 11, 13, `\`conversation.max_turns\` ${U32}, found -5`, null]],
  ],
  [
    "timeout_seconds not an integer",
    P,
    agent({}, "", "[conversation]", 'timeout_seconds = "5m"'),
    [["E_AGENT_BAD_TYPE", 11, 19, "`conversation.timeout_seconds` must be an integer, found string", null]],
  ],
  [
    "inline table positions",
    P,
    agent({ 6: 'memory = { scope = "x" }' }),
    [
      [
        "E_AGENT_BAD_VALUE",
        6,
        20,
        '`memory.scope` must be one of "agent", "conversation", "global", found "x"',
        null,
      ],
    ],
  ],

  // ---- unknown keys (warnings) ----
  [
    "typo at the top level",
    P,
    agent({ 6: 'sytem_prompt = "x"' }),
    [["W_UNKNOWN_KEY", 6, 1, "unknown key `sytem_prompt`", "did you mean `system_prompt`?"]],
  ],
  [
    "typo in [llm]",
    P,
    agent({}, "[llm]", 'provider = "local"', 'model = "m"', "temprature = 0.5"),
    [["W_UNKNOWN_KEY", 12, 1, "unknown key `llm.temprature`", "did you mean `temperature`?"]],
  ],
  [
    "unknown key, nothing close",
    P,
    agent({ 6: "foo = 1" }),
    [["W_UNKNOWN_KEY", 6, 1, "unknown key `foo`", null]],
  ],
  [
    "[tool] instead of [tools]",
    P,
    agent({ 7: "[tool]" }),
    [
      [
        "E_AGENT_MISSING_KEY",
        1,
        1,
        "missing required table `[tools]`",
        "add a [tools] table with `available = [...]` (an empty list is allowed)",
      ],
      ["W_UNKNOWN_KEY", 7, 1, "unknown key `tool`", "did you mean `tools`?"],
    ],
  ],
  [
    "optional top-level key written under [memory]",
    P,
    agent({}, "", "[memory]", 'description = "x"'),
    [
      [
        "W_UNKNOWN_KEY",
        11,
        1,
        "unknown key `memory.description`",
        "`description` is a top-level key, but it comes after the [memory] header on line 10; move it above the first table header (line 7)",
      ],
    ],
  ],
  [
    "one warning for an unknown table, not for each key in it",
    P,
    agent({}, "[extras]", "a = 1", "b = 2"),
    [["W_UNKNOWN_KEY", 9, 1, "unknown key `extras`", null]],
  ],
  [
    "anything goes in [parameters]",
    P,
    agent({}, "[parameters]", "whatever = { a = 1 }", '"x y" = [1, "two"]'),
    [],
  ],

  // ---- TOML itself ----
  [
    "syntax error",
    P,
    'name = "reviewer\n',
    [["E_TOML_SYNTAX", 1, 17, "invalid TOML: control characters are not allowed in strings", null]],
  ],
  [
    "duplicate key is a syntax error",
    P,
    'name = "a"\nname = "b"\n',
    [["E_TOML_SYNTAX", 2, 1, "invalid TOML: trying to redefine an already defined table or value", null]],
  ],
];

for (const c of cases) test(`agent rule: ${c[0]}`, () => runCases([c]));

test("agent rule: invalid UTF-8 points at the first bad byte", () => {
  // `name = "a"` newline `x = "é` then the byte 0xFF: line 2, column 7 (after 6 characters).
  const bytes = new Uint8Array([...enc('name = "a"\nx = "é'), 0xff, 0x22, 0x0a]);
  assert.deepEqual(analyzeFile(P, bytes).diagnostics.map(row), [
    ["E_TOML_ENCODING", 2, 7, "file is not valid UTF-8", "save the file as UTF-8"],
  ]);
});

test("normalizeAgentConfig: defaults filled in, unknown keys dropped, [parameters] kept as written (JSON-safe)", () => {
  const data = parseToml(
    agent(
      { 6: 'unknown_key = "dropped"' },
      "[llm]",
      'provider = "openai"',
      'model = "gpt"',
      "[parameters]",
      '"__proto__" = { kept = true }',
      "huge = 9007199254740993",
      "small = 42",
    ),
  );
  assert.deepEqual(structuredClone(normalizeAgentConfig(data)), {
    name: "reviewer",
    version: "1.0.0",
    capabilities: ["code_analysis"],
    system_prompt: "You review code.",
    user_prompt_template: "Review: {diff}",
    tools: { available: ["read_file"] },
    llm: { provider: "openai", model: "gpt", temperature: 0.7 },
    memory: { enabled: true, context_window: 4000, scope: "agent" },
    conversation: { max_turns: 50, timeout_seconds: 300 },
    parameters: JSON.parse('{"__proto__": {"kept": true}, "huge": "9007199254740993", "small": 42}'),
  });
  assert.equal(normalizeAgentConfig(parseToml('name = "x"\n')), null);
});
