/**
 * The shape of an agent file (any `*.toml` below `agents/`), per docs/workspace-format.md, as zod schemas
 * whose output is the normalized config: defaults filled in, unknown keys dropped (Caxton ignores them),
 * integers as numbers. The read API serves exactly this (`GET /api/v1/agents/{name}`).
 *
 * Input is smol-toml's output with integers as bigint (see toml-values.ts), so `context_window = 4000.0`
 * is rejected as a float where an integer is required, as Caxton's Rust types would.
 */
import * as z from "zod";
import { addCheckIssue, OPEN, table, type KeyTree } from "./schema-diagnostics.js";
import {
  auditShape,
  contextPreparationShape,
  developmentShape,
  duration,
  monitoringShape,
  permissionsShape,
  scheduleShape,
} from "./agent-guide-tables.js";
import { float, u32 } from "./number-schemas.js";
import { scanTemplate } from "./template-variables.js";
import { isTable, jsonSafe, tomlTypeName } from "./toml-values.js";
import {
  isValidAgentName,
  isValidMcpServerName,
  isValidVersion,
  LLM_PROVIDERS,
  MEMORY_SCOPES,
  parseMcpToolName,
  U32_MAX,
  WORD,
} from "./agent-value-rules.js";

export const AGENT_DEFAULTS = {
  temperature: 0.7,
  memory: { enabled: true, context_window: 4000, scope: "agent" },
  conversation: { max_turns: 50, timeout_seconds: 300 },
} as const;

// ---- field schemas ----

const name = z.string().superRefine((v, ctx) => {
  if (isValidAgentName(v)) return;
  const slug = v
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^[^a-z]+|-+$/g, "");
  addCheckIssue(
    ctx,
    "E_AGENT_BAD_NAME",
    `invalid agent name ${JSON.stringify(v)}: must match ^[a-z][a-z0-9-]*[a-z0-9]$ with no "--"`,
    isValidAgentName(slug)
      ? `use lowercase letters, digits and single hyphens, e.g. ${JSON.stringify(slug)}`
      : "use lowercase letters, digits and single hyphens, starting with a letter",
  );
});

const version = z.string().superRefine((v, ctx) => {
  if (isValidVersion(v)) return;
  const parts = v.trim().replace(/^v/i, "").split(".");
  const padded = parts.length <= 3 ? [...parts, "0", "0"].slice(0, 3).join(".") : "";
  addCheckIssue(
    ctx,
    "E_AGENT_BAD_VERSION",
    `invalid version ${JSON.stringify(v)}: expected MAJOR.MINOR.PATCH, each a non-negative integer up to ${U32_MAX}`,
    isValidVersion(padded) ? `use ${JSON.stringify(padded)}` : 'e.g. "1.0.0"',
  );
});

const capability = z.string().superRefine((v, ctx) => {
  if (v === "") {
    addCheckIssue(ctx, "E_AGENT_BAD_CAPABILITY", "{key} must not be empty");
  } else if (!WORD.test(v)) {
    const fixed = v.replace(/[^A-Za-z0-9_]+/g, "_");
    addCheckIssue(
      ctx,
      "E_AGENT_BAD_CAPABILITY",
      `invalid capability ${JSON.stringify(v)} in {key}: use only letters, digits and _`,
      /[A-Za-z0-9]/.test(fixed) ? `try ${JSON.stringify(fixed)}` : null,
    );
  }
});

const toolName = z.string().superRefine((v, ctx) => {
  if (v === "") {
    addCheckIssue(ctx, "E_AGENT_BAD_TOOL", "{key} must not be empty");
    return;
  }
  if (!WORD.test(v)) {
    const fixed = v.replace(/[^A-Za-z0-9_]+/g, "_");
    addCheckIssue(
      ctx,
      "E_AGENT_BAD_TOOL",
      `invalid tool name ${JSON.stringify(v)} in {key}: use only letters, digits and _`,
      /[A-Za-z0-9]/.test(fixed) ? `try ${JSON.stringify(fixed)}` : null,
    );
    return;
  }
  if (!v.startsWith("mcp__")) return; // a built-in tool
  const mcp = parseMcpToolName(v);
  if (!mcp) {
    addCheckIssue(
      ctx,
      "E_AGENT_BAD_TOOL",
      `invalid MCP tool name ${JSON.stringify(v)} in {key}: expected mcp__<server>__<tool>`,
      'e.g. "mcp__git__git_diff" for tool git_diff of the server defined as [servers.git]',
    );
  } else if (!isValidMcpServerName(mcp.server)) {
    const lower = `mcp__${mcp.server.toLowerCase()}__${mcp.tool}`;
    addCheckIssue(
      ctx,
      "E_AGENT_BAD_TOOL",
      `invalid MCP tool name ${JSON.stringify(v)} in {key}: server name ${JSON.stringify(mcp.server)} must match ^[a-z][a-z0-9_]*$`,
      parseMcpToolName(lower) && isValidMcpServerName(mcp.server.toLowerCase())
        ? `try ${JSON.stringify(lower)}`
        : null,
    );
  }
});

// ---- tables ----

export const llmShape = {
  provider: z.enum(LLM_PROVIDERS),
  model: z.string(),
  temperature: float(0, 2).default(AGENT_DEFAULTS.temperature),
  max_tokens: u32.optional(),
  top_p: float(0, 1).optional(),
  frequency_penalty: float().optional(),
  presence_penalty: float().optional(),
};

export const memoryShape = {
  enabled: z.boolean().default(AGENT_DEFAULTS.memory.enabled),
  context_window: u32.default(AGENT_DEFAULTS.memory.context_window),
  scope: z.enum(MEMORY_SCOPES).default(AGENT_DEFAULTS.memory.scope),
  retention_period: duration.optional(),
  max_entries: u32.optional(),
  context_preparation: table(contextPreparationShape).optional(),
};

export const conversationShape = {
  max_turns: u32.default(AGENT_DEFAULTS.conversation.max_turns),
  timeout_seconds: u32.default(AGENT_DEFAULTS.conversation.timeout_seconds),
};

export const toolsShape = {
  available: z.array(toolName),
};

const toolList = z.array(toolName);
const toolsTable = table(toolsShape);

/**
 * `tools = ["csv_reader"]` (Caxton's agent-format guide) or `[tools] available = [...]` (its domain schema),
 * served in one form: `{ available: [...] }`. (Writing both is a TOML error; analyze-file.ts words it.)
 */
const tools = z.unknown().transform((v, ctx): { available: string[] } => {
  if (v === undefined) {
    ctx.addIssue({ code: "invalid_type", expected: "object", input: v });
    return z.NEVER;
  }
  if (!Array.isArray(v) && !isTable(v)) {
    addCheckIssue(
      ctx,
      "E_AGENT_BAD_TYPE",
      `{key} must be an array of tool names or a [tools] table, found ${tomlTypeName(v)}`,
      'e.g. `tools = ["read_file"]` at the top of the file',
    );
    return z.NEVER;
  }
  const r = Array.isArray(v) ? toolList.safeParse(v) : toolsTable.safeParse(v);
  if (!r.success) {
    for (const issue of r.error.issues) ctx.addIssue({ ...issue });
    return z.NEVER;
  }
  return Array.isArray(r.data) ? { available: r.data } : r.data;
});

/** A prompt: any string whose `{{variable}}` placeholders are well formed (template-variables.ts). */
const template = z.string().superRefine((v, ctx) => {
  for (const p of scanTemplate(v).problems)
    addCheckIssue(ctx, "E_AGENT_BAD_TEMPLATE", p.message, p.suggestion, p.offset);
});

/** The strings whose placeholders the read API lists. */
export const TEMPLATE_KEYS = ["system_prompt", "user_prompt_template"] as const;

export const agentShape = {
  name,
  version,
  capabilities: z.array(capability),
  system_prompt: template,
  user_prompt_template: template,
  description: z.string().optional(),
  documentation: z.string().optional(),
  tools,
  // Free-form; not z.record, whose output is built by assignment and so would drop a `"__proto__"` key.
  parameters: z
    .unknown()
    .superRefine((v, ctx) => {
      if (!isTable(v)) ctx.addIssue({ code: "invalid_type", expected: "record", input: v });
    })
    .transform((p) => jsonSafe(p) as Record<string, unknown>)
    .optional(),
  llm: table(llmShape).optional(),
  // An absent [memory] / [conversation] table is the table with every default (prefault runs the schema on {}).
  memory: table(memoryShape).prefault({}),
  conversation: table(conversationShape).prefault({}),
  permissions: table(permissionsShape).optional(),
  schedule: table(scheduleShape).optional(),
  audit: table(auditShape).optional(),
  monitoring: table(monitoringShape).optional(),
  development: table(developmentShape).optional(),
};

export const agentSchema = z.object(agentShape);

/** An agent's configuration with defaults filled in: what Caxton runs and what the read API serves. */
export type AgentConfig = z.output<typeof agentSchema>;

/** Known keys, for unknown-key warnings (derived from the shapes above, so the two cannot drift). */
export const AGENT_KEY_TREE: KeyTree = {
  keys: {
    ...leaves(agentShape),
    // `tools` is a list or a table: the walk checks the table form's keys and skips a list.
    tools: { keys: leaves(toolsShape) },
    parameters: OPEN,
    llm: { keys: leaves(llmShape) },
    memory: {
      keys: { ...leaves(memoryShape), context_preparation: { keys: leaves(contextPreparationShape) } },
    },
    conversation: { keys: leaves(conversationShape) },
    permissions: { keys: leaves(permissionsShape) },
    schedule: { keys: leaves(scheduleShape) },
    audit: { keys: leaves(auditShape) },
    monitoring: { keys: leaves(monitoringShape) },
    development: { keys: leaves(developmentShape) },
  },
};

function leaves(shape: object): Record<string, null> {
  return Object.fromEntries(Object.keys(shape).map((k) => [k, null]));
}

/**
 * The normalized config of a parsed agent table (smol-toml output with integers as bigint, see
 * `parseToml`), or null if it does not satisfy the schema (analyzeFile says why).
 */
export function normalizeAgentConfig(data: unknown): AgentConfig | null {
  const r = agentSchema.safeParse(data);
  return r.success ? r.data : null;
}

/** What to write for a required key that is missing altogether. */
export const AGENT_KEY_EXAMPLES: Record<string, string> = {
  name: 'name = "my-agent"',
  version: 'version = "1.0.0"',
  capabilities: 'capabilities = ["code_analysis"]',
  system_prompt: "system_prompt = '''...'''",
  user_prompt_template: 'user_prompt_template = "..."',
};
