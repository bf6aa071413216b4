/**
 * Which rules a workspace path falls under, by its path alone. Needs no schema library, so the quick check
 * of a changed file (quick-check.ts) can classify without loading zod.
 */

/**
 * `agent`: any `*.toml` below `agents/`; `mcp-servers`: `tools/mcp_servers.toml`; `settings`: `caxton.toml`;
 * `toml`: any other `*.toml` (must parse, no schema); `other`: not configuration, not looked at.
 */
export type FileKind = "agent" | "mcp-servers" | "settings" | "toml" | "other";

export const MCP_SERVERS_PATH = "tools/mcp_servers.toml";
export const SETTINGS_PATH = "caxton.toml";

/** A configuration file: one the validator reads (every other kind but `other`). */
export function isConfigPath(path: string): boolean {
  return path.endsWith(".toml");
}

export function classifyPath(path: string): FileKind {
  if (!isConfigPath(path)) return "other";
  if (path.startsWith("agents/")) return "agent";
  if (path === MCP_SERVERS_PATH) return "mcp-servers";
  if (path === SETTINGS_PATH) return "settings";
  return "toml";
}
