/**
 * Every diagnostic code the validator emits, with what it means. Codes are stable API: `caxton validate
 * --json` prints them and scripts match on them, so rename none; add new ones. `E_` codes are errors (they
 * block a deploy), `W_` codes are warnings (printed, never blocking).
 */
import type { Diagnostic } from "../errors/caxton-error.js";
import type { Position } from "./position-index.js";

export const DIAGNOSTIC_CODES = {
  // any *.toml file
  E_TOML_ENCODING: "the file is not valid UTF-8",
  E_TOML_SYNTAX: "the file is not valid TOML",
  // agents/**/*.toml
  E_AGENT_MISSING_KEY: "a required key or table is missing",
  E_AGENT_BAD_TYPE: "a value has the wrong TOML type",
  E_AGENT_BAD_VALUE: "a value is out of range or not one of the allowed choices",
  E_AGENT_BAD_NAME: "`name` does not match ^[a-z][a-z0-9-]*[a-z0-9]$ or contains `--`",
  E_AGENT_BAD_VERSION: "`version` is not MAJOR.MINOR.PATCH with u32 parts",
  E_AGENT_BAD_CAPABILITY: "a capability is empty or has characters other than [A-Za-z0-9_]",
  E_AGENT_BAD_TOOL:
    "a tool name has characters other than [A-Za-z0-9_] or is a malformed mcp__<server>__<tool>",
  E_AGENT_TOOLS_TWICE: "`tools` is written both as a list and as a [tools] table",
  E_AGENT_BAD_TEMPLATE:
    "a prompt has an unclosed `{{`, a `}}` that closes nothing, or a malformed placeholder",
  E_AGENT_BAD_DURATION: 'a duration is not a positive integer and a unit (ms, s, m, h, d, w, y), e.g. "5m"',
  E_AGENT_BAD_SIZE:
    'a size is not a positive integer and a unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB), e.g. "100MB"',
  E_AGENT_BAD_CRON: "`[schedule] cron` is not a five-field cron expression (the message names the field)",
  E_AGENT_BAD_TIMEZONE: "`[schedule] timezone` is not an IANA time zone known to ICU",
  // tools/mcp_servers.toml
  E_MCP_BAD_TYPE: "a value has the wrong TOML type",
  E_MCP_BAD_VALUE: "a value is empty or not allowed",
  E_MCP_BAD_SERVER_NAME: "a server name does not match ^[a-z][a-z0-9_]*$ or contains `__`",
  E_MCP_NO_TRANSPORT: "a server has neither `command` nor `url`",
  E_MCP_BOTH_TRANSPORTS: "a server has both `command` and `url`",
  E_MCP_BAD_URL: "`url` is not an http or https URL",
  W_MCP_UNUSED_KEY: "`args` or `env` on a url server, which has no process to pass them to",
  // caxton.toml
  E_SETTINGS_BAD_TYPE: "a value has the wrong TOML type",
  E_SETTINGS_BAD_URL: "`[deploy] server` is not an http or https URL",
  E_SETTINGS_BAD_WORKSPACE: "`[deploy] workspace` is not a workspace name",
  // across files
  E_DUPLICATE_AGENT: "two agent files use the same `name`",
  E_UNKNOWN_MCP_SERVER: "an mcp__<server>__<tool> names a server tools/mcp_servers.toml does not define",
  // any schema-checked file
  W_UNKNOWN_KEY: "a key the schema does not know (Caxton ignores it; often a typo or a misplaced key)",
} as const;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

export function makeDiagnostic(
  path: string,
  at: Position | null,
  code: DiagnosticCode,
  message: string,
  suggestion: string | null = null,
): Diagnostic {
  return {
    path,
    line: at?.line ?? null,
    column: at?.column ?? null,
    severity: code.startsWith("W_") ? "warning" : "error",
    code,
    message,
    suggestion,
  };
}
