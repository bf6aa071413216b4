// Generated agent files for the property tests: valid agents (every key of the schema, both forms of
// `tools`) with the MCP servers their tools name. Strings include quotes, TOML delimiters, newlines,
// control characters and non-BMP unicode, to exercise both the parser and the position index.
import fc from "fast-check";
import { scanTemplate } from "../../src/config/template-variables.js";

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
  "{{request}}",
  "{{ memory_context }}",
  '{"a": {"b": 1}}',
  "é",
  "\u{1F600}",
  "\u200b",
);
export const text = fc
  .array(fc.oneof(fc.string({ unit: "binary", maxLength: 8 }), tricky), { maxLength: 6 })
  .map((parts) => parts.join(""));

/** A prompt: any text whose `{{...}}` placeholders are well formed. */
const prompt = text.filter((s) => scanTemplate(s).problems.length === 0);
const durationText = fc
  .tuple(fc.integer({ min: 1, max: 4294967295 }), fc.constantFrom("ms", "s", "m", "h", "d", "w", "y"))
  .map(([n, u]) => `${n}${u}`);
const sizeText = fc
  .tuple(
    fc.integer({ min: 1, max: 4294967295 }),
    fc.constantFrom("B", "KB", "MB", "GB", "TB", "KiB", "MiB", "GiB", "TiB"),
  )
  .map(([n, u]) => `${n}${u}`);
const cronText = fc
  .tuple(
    fc.constantFrom("*", "0", "*/15", "0,30", "5-10"),
    fc.constantFrom("*", "8", "0-23/2"),
    fc.constantFrom("*", "1", "1-15"),
    fc.constantFrom("*", "JAN", "1-6", "jun-aug"),
    fc.constantFrom("*", "MON", "1-5", "sun,sat", "7"),
  )
  .map((f) => f.join(" "));

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

export const arbitraryWorkspace = fc
  .uniqueArray(serverName, { minLength: 1, maxLength: 3 })
  .chain((servers) => {
    const tool = fc.oneof(
      word.filter((w) => !w.startsWith("mcp__")),
      fc.tuple(fc.constantFrom(...servers), word).map(([s, t]) => `mcp__${s}__${t}`),
    );
    const agent = fc.record(
      {
        name: agentName,
        version: fc.tuple(u32, u32, u32).map((p) => p.join(".")),
        capabilities: fc.array(word, { maxLength: 4 }),
        system_prompt: prompt,
        user_prompt_template: prompt,
        description: text,
        documentation: text,
        // both forms; the guide's list is normalized to the table form (see withDefaults)
        tools: fc.oneof(
          fc.record({ available: fc.array(tool, { maxLength: 4 }) }),
          fc.array(tool, { maxLength: 4 }),
        ),
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
            retention_period: durationText,
            max_entries: u32,
            context_preparation: fc.record(
              { enabled: fc.boolean(), max_context_length: u32, relevance_threshold: float(0, 1) },
              { requiredKeys: [] },
            ),
          },
          { requiredKeys: [] },
        ),
        permissions: fc.record(
          {
            file_access: fc.constantFrom("readonly", "readwrite", "none"),
            network_access: fc.constantFrom("restricted", "full", "none"),
            memory_limit: sizeText,
            cpu_limit: durationText,
          },
          { requiredKeys: [] },
        ),
        schedule: fc.record(
          {
            cron: cronText,
            timezone: fc.constantFrom("UTC", "America/New_York", "Europe/Paris", "Asia/Kolkata", "Etc/GMT+5"),
            enabled: fc.boolean(),
          },
          { requiredKeys: ["cron"] },
        ),
        audit: fc.record(
          { log_operations: fc.boolean(), log_sensitive_data: fc.boolean(), retention_period: durationText },
          { requiredKeys: [] },
        ),
        monitoring: fc.record(
          {
            health_check_interval: durationText,
            performance_tracking: fc.boolean(),
            error_reporting: fc.boolean(),
          },
          { requiredKeys: [] },
        ),
        development: fc.record(
          { hot_reload: fc.boolean(), debug_mode: fc.boolean(), test_mode: fc.boolean() },
          { requiredKeys: [] },
        ),
        conversation: fc.record({ max_turns: u32, timeout_seconds: u32 }, { requiredKeys: [] }),
      },
      { requiredKeys: ["name", "version", "capabilities", "system_prompt", "user_prompt_template", "tools"] },
    );
    return fc.tuple(fc.constant(servers), agent);
  });
