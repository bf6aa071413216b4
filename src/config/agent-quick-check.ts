/**
 * Whether a parsed agent file satisfies the agent schema (agent-schema.ts, agent-guide-tables.ts,
 * number-schemas.ts): yes or no, nothing else. Hand-written, not derived from the zod schemas, because the
 * point is not to load them: in a `caxton deploy` of one changed agent, loading zod, building the schemas
 * and zod's compile of each object schema on its first parse cost more than the rest of the local check.
 * Only a yes is taken as final (the file has no errors, so nothing is sent for it to report); a no runs the
 * zod schema, which words every diagnostic, so what a user reads always comes from the full path.
 *
 * It must say yes for exactly the tables zod accepts: a property test (test/config/agent-quick-check
 * .property.test.ts) checks both directions on generated tables and on every agent of the guide's corpus.
 * Rules both sides need (names, versions, closed sets, the u32 bound) are shared in agent-value-rules.ts;
 * the string formats (templates, cron, time zones, durations, sizes) are the same functions zod calls.
 */
import {
  FILE_ACCESS,
  isValidAgentName,
  isValidToolName,
  isValidVersion,
  LLM_PROVIDERS,
  MEMORY_SCOPES,
  NETWORK_ACCESS,
  U32_MAX,
  WORD,
} from "./agent-value-rules.js";
import { checkCron } from "./cron-expression.js";
import { parseDuration, parseSize } from "./duration-size.js";
import { scanTemplate } from "./template-variables.js";
import { checkTimeZone } from "./time-zone.js";
import { isTable, type TomlTable } from "./toml-values.js";

type Check = (v: unknown) => boolean;
type Shape = Readonly<Record<string, Check>>;

const string: Check = (v) => typeof v === "string";
const boolean: Check = (v) => typeof v === "boolean";
const stringWhere =
  (ok: (s: string) => boolean): Check =>
  (v) =>
    typeof v === "string" && ok(v);
const oneOf = (choices: readonly string[]): Check => stringWhere((s) => choices.includes(s));
/** `.optional()`, `.default()` and `.prefault({})` alike: absent is fine (the default is valid) */
const optional =
  (check: Check): Check =>
  (v) =>
    v === undefined || check(v);
const arrayOf =
  (check: Check): Check =>
  (v) => {
    if (!Array.isArray(v)) return false;
    for (let i = 0; i < v.length; i++) if (!check(v[i])) return false;
    return true;
  };
/** `table(shape)`: a TOML table (not an array, not a date-time) whose known keys pass; others are ignored */
const table =
  (shape: Shape): Check =>
  (v) =>
    isTable(v) && fields(v, shape);
function fields(v: TomlTable, shape: Shape): boolean {
  for (const key in shape) if (!(shape[key] as Check)(v[key])) return false;
  return true;
}

/** number-schemas.ts: a TOML integer (bigint) in 0..=u32::MAX */
const u32: Check = (v) => typeof v === "bigint" && v >= 0n && v <= BigInt(U32_MAX);
/** number-schemas.ts: a finite float, or an integer taken as one, within [min, max] */
const float =
  (min?: number, max?: number): Check =>
  (v) => {
    const n = typeof v === "bigint" ? Number(v) : v;
    return (
      typeof n === "number" &&
      Number.isFinite(n) &&
      (min === undefined || n >= min) &&
      (max === undefined || n <= max)
    );
  };
const duration = stringWhere((s) => parseDuration(s) !== null);
const size = stringWhere((s) => parseSize(s) !== null);
const word = stringWhere((s) => WORD.test(s));
const toolName = stringWhere(isValidToolName);
const template = stringWhere((s) => scanTemplate(s).problems.length === 0);

const contextPreparation: Shape = {
  enabled: optional(boolean),
  max_context_length: optional(u32),
  relevance_threshold: optional(float(0, 1)),
};

const agent: Shape = {
  name: stringWhere(isValidAgentName),
  version: stringWhere(isValidVersion),
  capabilities: arrayOf(word),
  system_prompt: template,
  user_prompt_template: template,
  description: optional(string),
  documentation: optional(string),
  // a list of tool names, or a [tools] table with `available = [...]`
  tools: (v) => arrayOf(toolName)(v) || table({ available: arrayOf(toolName) })(v),
  parameters: optional(isTable),
  llm: optional(
    table({
      provider: oneOf(LLM_PROVIDERS),
      model: string,
      temperature: optional(float(0, 2)),
      max_tokens: optional(u32),
      top_p: optional(float(0, 1)),
      frequency_penalty: optional(float()),
      presence_penalty: optional(float()),
    }),
  ),
  memory: optional(
    table({
      enabled: optional(boolean),
      context_window: optional(u32),
      scope: optional(oneOf(MEMORY_SCOPES)),
      retention_period: optional(duration),
      max_entries: optional(u32),
      context_preparation: optional(table(contextPreparation)),
    }),
  ),
  conversation: optional(table({ max_turns: optional(u32), timeout_seconds: optional(u32) })),
  permissions: optional(
    table({
      file_access: optional(oneOf(FILE_ACCESS)),
      network_access: optional(oneOf(NETWORK_ACCESS)),
      memory_limit: optional(size),
      cpu_limit: optional(duration),
    }),
  ),
  schedule: optional(
    table({
      cron: stringWhere((s) => checkCron(s) === null),
      timezone: optional(stringWhere((s) => checkTimeZone(s) === null)),
      enabled: optional(boolean),
    }),
  ),
  audit: optional(
    table({
      log_operations: optional(boolean),
      log_sensitive_data: optional(boolean),
      retention_period: optional(duration),
    }),
  ),
  monitoring: optional(
    table({
      health_check_interval: optional(duration),
      performance_tracking: optional(boolean),
      error_reporting: optional(boolean),
    }),
  ),
  development: optional(
    table({ hot_reload: optional(boolean), debug_mode: optional(boolean), test_mode: optional(boolean) }),
  ),
};

/** True exactly when `agentSchema.safeParse(data)` succeeds. */
export function agentQuickCheck(data: TomlTable): boolean {
  return fields(data, agent);
}
