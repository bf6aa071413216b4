/**
 * The value rules of an agent file that need no schema library: the name, version, word (capability and
 * tool) and MCP tool name formats, the closed sets of choices, and the u32 bound. The zod schemas
 * (agent-schema.ts, agent-guide-tables.ts, number-schemas.ts) and the hand-written check of a changed file
 * (agent-quick-check.ts) both read them from here, so the two cannot drift apart on a rule.
 */

export const U32_MAX = 4294967295;

const AGENT_NAME = /^[a-z][a-z0-9-]*[a-z0-9]$/;
export function isValidAgentName(name: string): boolean {
  return AGENT_NAME.test(name) && !name.includes("--");
}

export const MCP_SERVER_NAME = /^[a-z][a-z0-9_]*$/;
export function isValidMcpServerName(name: string): boolean {
  return MCP_SERVER_NAME.test(name) && !name.includes("__");
}

/** `mcp__<server>__<tool>` split at the first `__` after the prefix; null if it is not an MCP tool name. */
export function parseMcpToolName(tool: string): { server: string; tool: string } | null {
  if (!tool.startsWith("mcp__")) return null;
  const rest = tool.slice(5);
  const cut = rest.indexOf("__");
  if (cut <= 0 || cut + 2 >= rest.length) return null;
  return { server: rest.slice(0, cut), tool: rest.slice(cut + 2) };
}

/** A capability's or a tool's characters. */
export const WORD = /^[A-Za-z0-9_]+$/;

/** MAJOR.MINOR.PATCH, each a non-negative integer up to u32::MAX. */
export function isValidVersion(v: string): boolean {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(v);
  return m !== null && m.slice(1).every((part) => Number(part) <= U32_MAX);
}

/** A tool name: a word; one starting `mcp__` is `mcp__<server>__<tool>` with a valid server name. */
export function isValidToolName(v: string): boolean {
  if (!WORD.test(v)) return false;
  if (!v.startsWith("mcp__")) return true;
  const mcp = parseMcpToolName(v);
  return mcp !== null && isValidMcpServerName(mcp.server);
}

export const LLM_PROVIDERS = ["openai", "anthropic", "local"] as const;
export const MEMORY_SCOPES = ["agent", "conversation", "global"] as const;
export const FILE_ACCESS = ["readonly", "readwrite", "none"] as const;
export const NETWORK_ACCESS = ["restricted", "full", "none"] as const;
