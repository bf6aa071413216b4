// The agent-format guide's forms and tables: exact code, position, message and suggestion for each rule,
// the defaults the read API serves, and the template variables it lists.
import { test } from "node:test";
import assert from "node:assert/strict";
import { analyzeFile } from "../../src/config/analyze-file.js";
import { enc, lines, row, runCases, type Case } from "./helpers.js";

const P = "agents/guide.toml";
/** A valid agent in the guide's form (tools as a list); the tables under test are appended after line 6. */
const TOP = [
  'name = "guide-agent"',
  'version = "1.0.0"',
  'capabilities = ["data_analysis"]',
  'tools = ["csv_reader"]',
  'system_prompt = "You analyse data."',
  'user_prompt_template = "Request: {{request}}"',
];
const guide = (...extra: string[]) => lines(...TOP, ...extra);
const withTop = (replace: Record<number, string>, ...extra: string[]) =>
  lines(...TOP.map((l, i) => replace[i + 1] ?? l), ...extra);

const cases: Case[] = [
  ["guide form: tools as a list", P, guide(), []],
  [
    "tools written as a list and as a [tools] table",
    P,
    guide("", "[tools]", 'available = ["csv_reader"]'),
    [
      [
        "E_AGENT_TOOLS_TWICE",
        8,
        1,
        "`tools` is written twice: as a list on line 4 and as a [tools] table here",
        "keep one form: `tools = [...]` at the top of the file, or a [tools] table with `available = [...]`",
      ],
    ],
  ],
  [
    "a bad tool in the guide's list is reported at its element",
    P,
    withTop({ 4: 'tools = ["csv_reader", "chart-generator"]' }),
    [
      [
        "E_AGENT_BAD_TOOL",
        4,
        24,
        'invalid tool name "chart-generator" in `tools[1]`: use only letters, digits and _',
        'try "chart_generator"',
      ],
    ],
  ],
  [
    "system_prompt after [llm], as the guide's examples write it",
    P,
    lines(
      ...TOP.filter((l) => !l.startsWith("system_prompt")),
      "",
      "[llm]",
      'provider = "openai"',
      'model = "gpt-4"',
      "",
      "system_prompt = '''",
      "You analyse data.",
      "'''",
    ),
    [
      [
        "E_AGENT_MISSING_KEY",
        11,
        1,
        "missing required key `system_prompt`",
        "`system_prompt` on line 11 comes after the [llm] header on line 7, so TOML reads it as `llm.system_prompt`; move it above the first table header (line 7)",
      ],
    ],
  ],
  [
    "documentation after [audit] is a misplaced top-level key",
    P,
    guide("[audit]", "log_operations = true", 'documentation = "# Agent"'),
    [
      [
        "W_UNKNOWN_KEY",
        9,
        1,
        "unknown key `audit.documentation`",
        "`documentation` is a top-level key, but it comes after the [audit] header on line 7; move it above the first table header (line 7)",
      ],
    ],
  ],

  // ---- [permissions] ----
  [
    "permissions: bad choice with did-you-mean",
    P,
    guide("[permissions]", 'file_access = "read-only"', 'network_access = "ful"'),
    [
      [
        "E_AGENT_BAD_VALUE",
        8,
        15,
        '`permissions.file_access` must be one of "readonly", "readwrite", "none", found "read-only"',
        'did you mean "readonly"?',
      ],
      [
        "E_AGENT_BAD_VALUE",
        9,
        18,
        '`permissions.network_access` must be one of "restricted", "full", "none", found "ful"',
        'did you mean "full"?',
      ],
    ],
  ],
  [
    "permissions: sizes and durations, with the fixed spelling",
    P,
    guide("[permissions]", 'memory_limit = "100 mb"', 'cpu_limit = "5 min"', "memory_limt = 1"),
    [
      [
        "E_AGENT_BAD_SIZE",
        8,
        16,
        'invalid size "100 mb" in `permissions.memory_limit`: expected a positive integer and a unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)',
        'write "100MB"',
      ],
      [
        "E_AGENT_BAD_DURATION",
        9,
        13,
        'invalid duration "5 min" in `permissions.cpu_limit`: expected a positive integer and a unit (ms, s, m, h, d, w, y)',
        'write "5m"',
      ],
      ["W_UNKNOWN_KEY", 10, 1, "unknown key `permissions.memory_limt`", "did you mean `memory_limit`?"],
    ],
  ],
  [
    "permissions: zero and a number are not sizes",
    P,
    guide("[permissions]", 'memory_limit = "0MB"', "cpu_limit = 100"),
    [
      [
        "E_AGENT_BAD_SIZE",
        8,
        16,
        'invalid size "0MB" in `permissions.memory_limit`: expected a positive integer and a unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)',
        'e.g. "100MB"',
      ],
      ["E_AGENT_BAD_TYPE", 9, 13, "`permissions.cpu_limit` must be a string, found integer", null],
    ],
  ],

  // ---- [schedule] ----
  [
    "schedule: the guide's cron forms are valid",
    P,
    guide("[schedule]", 'cron = "*/15 0-23/2 1,15 JAN-jun mon-fri"', 'timezone = "America/New_York"'),
    [],
  ],
  [
    "schedule: a wrong weekday name points at its field",
    P,
    guide("[schedule]", 'cron = "0 8 * * MOM"'),
    [
      [
        "E_AGENT_BAD_CRON",
        8,
        17,
        '`schedule.cron` field 5 (day of week): "MOM" is not 0-7 or SUN-SAT',
        "did you mean MON?",
      ],
    ],
  ],
  [
    "schedule: an hour out of range",
    P,
    guide("[schedule]", 'cron = "0 24 * * *"'),
    [["E_AGENT_BAD_CRON", 8, 11, '`schedule.cron` field 2 (hour): "24" is not 0-23', null]],
  ],
  [
    "schedule: a month name in the day-of-month field",
    P,
    guide("[schedule]", 'cron = "0 8 JAN * *"'),
    [["E_AGENT_BAD_CRON", 8, 13, '`schedule.cron` field 3 (day of month): "JAN" is not 1-31', null]],
  ],
  [
    "schedule: a backwards range (the rest of the file valid)",
    P,
    guide("[schedule]", 'cron = "0 8 * 12-3 *"', "[development]", "debug_mode = true"),
    [
      [
        "E_AGENT_BAD_CRON",
        8,
        15,
        '`schedule.cron` field 4 (month): range "12-3" runs backwards',
        "write 3-12",
      ],
    ],
  ],
  [
    "schedule: step zero",
    P,
    guide("[schedule]", 'cron = "*/0 * * * *"'),
    [
      [
        "E_AGENT_BAD_CRON",
        8,
        9,
        '`schedule.cron` field 1 (minute): step "0" must be an integer from 1 to 59',
        null,
      ],
    ],
  ],
  [
    "schedule: six fields",
    P,
    guide("[schedule]", 'cron = "0 0 8 * * MON"'),
    [
      [
        "E_AGENT_BAD_CRON",
        8,
        9,
        "`schedule.cron` must have five fields: minute hour day-of-month month day-of-week; found 6 fields",
        "seconds are not supported: drop the first field",
      ],
    ],
  ],
  [
    "schedule: a shortcut",
    P,
    guide("[schedule]", 'cron = "@weekly"'),
    [
      [
        "E_AGENT_BAD_CRON",
        8,
        9,
        '`schedule.cron` must be five fields: minute hour day-of-month month day-of-week, found the shortcut "@weekly"',
        'write "0 0 * * 0"',
      ],
    ],
  ],
  [
    "schedule: time zones — a typo, wrong case, an offset, and a missing cron",
    P,
    guide("[schedule]", 'timezone = "Europe/Lodnon"'),
    [
      [
        "E_AGENT_MISSING_KEY",
        7,
        1,
        "missing required key `schedule.cron`",
        'add `cron = "0 8 * * MON"` (minute hour day-of-month month day-of-week) under the [schedule] header',
      ],
      [
        "E_AGENT_BAD_TIMEZONE",
        8,
        12,
        '`schedule.timezone` must be an IANA time zone such as "UTC" or "America/New_York", found "Europe/Lodnon"',
        'did you mean "Europe/London"?',
      ],
    ],
  ],
  [
    "schedule: time zone in the wrong case, and an offset",
    P,
    guide(
      "[schedule]",
      'cron = "0 8 * * *"',
      'timezone = "america/new_york"',
      "[audit]",
      "log_operations = 1",
    ),
    [
      [
        "E_AGENT_BAD_TIMEZONE",
        9,
        12,
        '`schedule.timezone` must be an IANA time zone such as "UTC" or "America/New_York", found "america/new_york"',
        'did you mean "America/New_York"?',
      ],
      ["E_AGENT_BAD_TYPE", 11, 18, "`audit.log_operations` must be a boolean, found integer", null],
    ],
  ],

  // ---- [memory] and [memory.context_preparation] ----
  [
    "memory: durations and the context-preparation ranges",
    P,
    guide(
      "[memory]",
      'retention_period = "30 days"',
      "max_entries = -1",
      "[memory.context_preparation]",
      "max_context_length = 4294967296",
      "relevance_threshold = 1.5",
    ),
    [
      [
        "E_AGENT_BAD_DURATION",
        8,
        20,
        'invalid duration "30 days" in `memory.retention_period`: expected a positive integer and a unit (ms, s, m, h, d, w, y)',
        'write "30d"',
      ],
      [
        "E_AGENT_BAD_VALUE",
        9,
        15,
        "`memory.max_entries` must be an integer from 0 to 4294967295, found -1",
        null,
      ],
      [
        "E_AGENT_BAD_VALUE",
        11,
        22,
        "`memory.context_preparation.max_context_length` must be an integer from 0 to 4294967295, found 4294967296",
        null,
      ],
      [
        "E_AGENT_BAD_VALUE",
        12,
        23,
        "`memory.context_preparation.relevance_threshold` must be between 0 and 1, found 1.5",
        null,
      ],
    ],
  ],
  [
    "monitoring and development: types and typos",
    P,
    guide(
      "[monitoring]",
      'health_check_interval = "5"',
      'error_reporting = "yes"',
      "[development]",
      "hot_reload = 1",
      "debg_mode = true",
    ),
    [
      [
        "E_AGENT_BAD_DURATION",
        8,
        25,
        'invalid duration "5" in `monitoring.health_check_interval`: expected a positive integer and a unit (ms, s, m, h, d, w, y)',
        'e.g. "100ms", "5m" or "30d"',
      ],
      ["E_AGENT_BAD_TYPE", 9, 19, "`monitoring.error_reporting` must be a boolean, found string", null],
      ["E_AGENT_BAD_TYPE", 11, 14, "`development.hot_reload` must be a boolean, found integer", null],
      ["W_UNKNOWN_KEY", 12, 1, "unknown key `development.debg_mode`", "did you mean `debug_mode`?"],
    ],
  ],

  // ---- templates ----
  [
    "template: an unclosed {{ is reported at its column",
    P,
    withTop({ 6: 'user_prompt_template = "Request: {{request and {{context}}"' }),
    [
      [
        "E_AGENT_BAD_TEMPLATE",
        6,
        34,
        "unclosed `{{` in `user_prompt_template`",
        "close the placeholder with `}}`, e.g. `{{request}}`",
      ],
    ],
  ],
  [
    "template: a stray }}, an empty and a malformed placeholder, in a multi-line prompt",
    P,
    lines(
      ...TOP.slice(0, 4),
      "system_prompt = '''",
      'Use {{ memory_context }} and JSON like {"a": {"b": 1}} freely.',
      "Then {{}} and {{user name}} and done}}",
      "'''",
      'user_prompt_template = "t"',
    ),
    [
      [
        "E_AGENT_BAD_TEMPLATE",
        7,
        6,
        "empty placeholder `{{}}` in `system_prompt`",
        "name a variable, e.g. `{{request}}`",
      ],
      [
        "E_AGENT_BAD_TEMPLATE",
        7,
        15,
        "invalid placeholder `{{user name}}` in `system_prompt`: a variable name is letters, digits and _ (dotted paths allowed)",
        "try `{{user_name}}`",
      ],
      [
        "E_AGENT_BAD_TEMPLATE",
        7,
        37,
        "`}}` in `system_prompt` closes no `{{`",
        "open the placeholder with `{{`, e.g. `{{request}}`",
      ],
    ],
  ],
  [
    "template: escapes before the problem are counted once",
    P,
    withTop({ 6: 'user_prompt_template = "caf\\u00e9 \\"{{x\\""' }),
    [
      [
        "E_AGENT_BAD_TEMPLATE",
        6,
        37,
        "unclosed `{{` in `user_prompt_template`",
        "close the placeholder with `}}`, e.g. `{{request}}`",
      ],
    ],
  ],
];

for (const c of cases) test(`guide format: ${c[0]}`, () => runCases([c]));

test("guide format: the read API's normalized form — one tools form, defaults filled in, template variables", () => {
  const text = guide(
    "[permissions]",
    'memory_limit = "100MB"',
    "[schedule]",
    'cron = "0 8 * * MON"',
    "[memory]",
    "[memory.context_preparation]",
    "[audit]",
    "[monitoring]",
    "[development]",
  );
  const a = analyzeFile(P, enc(text));
  assert.deepEqual(a.diagnostics.map(row), []);
  const config = structuredClone(a.agent?.config);
  assert.deepEqual(config?.tools, { available: ["csv_reader"] });
  assert.deepEqual(config?.permissions, {
    file_access: "readonly",
    network_access: "restricted",
    memory_limit: "100MB",
  });
  assert.deepEqual(config?.schedule, { cron: "0 8 * * MON", timezone: "UTC", enabled: false });
  assert.deepEqual(config?.memory, {
    enabled: true,
    context_window: 4000,
    scope: "agent",
    context_preparation: { enabled: true, max_context_length: 8000, relevance_threshold: 0.8 },
  });
  assert.deepEqual(config?.audit, { log_operations: true, log_sensitive_data: false });
  assert.deepEqual(config?.monitoring, { performance_tracking: true, error_reporting: true });
  assert.deepEqual(config?.development, { hot_reload: true, debug_mode: false, test_mode: false });
  assert.deepEqual(a.agent?.templates, { system_prompt: [], user_prompt_template: ["request"] });

  // Absent tables stay absent; the domain form gives the same tools value.
  const domain = analyzeFile(
    P,
    enc(lines(...TOP.filter((l) => !l.startsWith("tools")), "[tools]", 'available = ["csv_reader"]')),
  );
  assert.deepEqual(structuredClone(domain.agent?.config?.tools), { available: ["csv_reader"] });
  assert.equal(domain.agent?.config?.permissions, undefined);
  assert.equal(domain.agent?.config?.schedule, undefined);
  assert.deepEqual(
    domain.agent?.tools.map((t) => t.at),
    [{ line: 7, column: 14 }],
  );
  assert.deepEqual(
    a.agent?.tools.map((t) => t.at),
    [{ line: 4, column: 10 }],
  );
});
