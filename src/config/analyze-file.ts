/**
 * The per-file step: everything that can be said about one file without looking at any other. Pure and
 * deterministic in (kind of path, content), so the server caches it by blob checksum and re-runs it only for
 * files a deploy changed; the cheap cross-file rules run afterwards over the extracted facts (cross-check.ts).
 *
 * Messages never contain the file's own path (it is in `Diagnostic.path`), so a cached analysis can serve
 * another path of the same kind with identical content (`relocateAnalysis`).
 */
import { TomlError } from "smol-toml";
import type { Diagnostic } from "../errors/caxton-error.js";
import {
  AGENT_KEY_EXAMPLES,
  AGENT_KEY_TREE,
  agentSchema,
  TEMPLATE_KEYS,
  type AgentConfig,
} from "./agent-schema.js";
import { makeDiagnostic } from "./diagnostic-codes.js";
import {
  MCP_KEY_TREE,
  mcpServerDiagnostics,
  mcpServersSchema,
  type McpServersConfig,
} from "./mcp-servers-schema.js";
import { buildPositionIndex, type PathSegment, type Position, type PositionIndex } from "./position-index.js";
import {
  issuesToDiagnostics,
  unknownKeyWarnings,
  type KeyTree,
  type SchemaCodes,
} from "./schema-diagnostics.js";
import { SETTINGS_KEY_TREE, settingsSchema } from "./settings-schema.js";
import { scanTemplate } from "./template-variables.js";
import { isTable, parseToml, type TomlTable } from "./toml-values.js";
import { classifyPath, type FileKind } from "./file-kind.js";
import { decodeUtf8 } from "./decode-utf8.js";

export { classifyPath, MCP_SERVERS_PATH, SETTINGS_PATH, type FileKind } from "./file-kind.js";

/** A tool named in `tools` or `[tools] available`, with where its string is written (for cross-file errors). */
export interface ToolRef {
  name: string;
  at: Position;
}

/** What the cross-file rules and the read API need from an agent file, extracted even when it has errors. */
export interface AgentFacts {
  /** `name` if it is a string (valid or not: a duplicate is reported either way). */
  name: string | null;
  nameAt: Position | null;
  version: string | null;
  capabilities: string[];
  tools: ToolRef[];
  /** The `{{variable}}` names each prompt template uses (`system_prompt`, `user_prompt_template`). */
  templates: Record<string, string[]>;
  /** The normalized config with defaults; null when this file has errors. */
  config: AgentConfig | null;
}

export interface FileAnalysis {
  path: string;
  kind: FileKind;
  /** Problems in this file alone, in text order. */
  diagnostics: Diagnostic[];
  hasErrors: boolean;
  /** For `agent` files that parse as TOML. */
  agent: AgentFacts | null;
  /** For `tools/mcp_servers.toml` when it parses as TOML: the server names it defines (valid or not). */
  mcpServers: string[] | null;
  /** For a valid `tools/mcp_servers.toml`: its servers as parsed (for the agent-aware plan). */
  mcpConfig: McpServersConfig["servers"] | null;
}

const AGENT_CODES: SchemaCodes = {
  missing: "E_AGENT_MISSING_KEY",
  type: "E_AGENT_BAD_TYPE",
  value: "E_AGENT_BAD_VALUE",
};
// Neither file has required keys; `missing` is there for completeness.
const MCP_CODES: SchemaCodes = {
  missing: "E_MCP_BAD_TYPE",
  type: "E_MCP_BAD_TYPE",
  value: "E_MCP_BAD_VALUE",
};
const SETTINGS_CODES: SchemaCodes = {
  missing: "E_SETTINGS_BAD_TYPE",
  type: "E_SETTINGS_BAD_TYPE",
  value: "E_SETTINGS_BAD_TYPE",
};

export function analyzeFile(path: string, content: Uint8Array): FileAnalysis {
  const kind = classifyPath(path);
  const result: FileAnalysis = {
    path,
    kind,
    diagnostics: [],
    hasErrors: false,
    agent: null,
    mcpServers: null,
    mcpConfig: null,
  };
  if (kind === "other") return result;

  const text = decodeUtf8(content);
  if (typeof text !== "string") {
    return finish(result, [
      makeDiagnostic(path, text, "E_TOML_ENCODING", "file is not valid UTF-8", "save the file as UTF-8"),
    ]);
  }
  let data: TomlTable;
  try {
    data = parseToml(text);
  } catch (err) {
    if (!(err instanceof TomlError)) throw err;
    const firstLine = err.message.split("\n")[0] ?? "syntax error";
    const message = firstLine.replace(/^Invalid TOML document: /, "");
    const twice = kind === "agent" ? toolsWrittenTwice(path, text, err.line) : null;
    if (twice) return finish(result, [twice]);
    return finish(result, [
      makeDiagnostic(
        path,
        { line: err.line, column: err.column },
        "E_TOML_SYNTAX",
        `invalid TOML: ${message}`,
      ),
    ]);
  }
  if (kind === "toml") return result;

  const index = buildPositionIndex(text);
  switch (kind) {
    case "agent": {
      const parsed = agentSchema.safeParse(data);
      const report = issuesToDiagnostics(parsed.success ? [] : parsed.error.issues, {
        file: path,
        data,
        index,
        text,
        codes: AGENT_CODES,
        missingHint: (p, explained) => agentMissingHint(p, index, explained),
      });
      result.agent = agentFacts(data, index, parsed.success ? parsed.data : null);
      return finish(result, [
        ...report.diagnostics,
        ...unknown(path, data, index, AGENT_KEY_TREE, report.explained),
      ]);
    }
    case "mcp-servers": {
      const parsed = mcpServersSchema.safeParse(data);
      const report = issuesToDiagnostics(parsed.success ? [] : parsed.error.issues, {
        file: path,
        data,
        index,
        codes: MCP_CODES,
      });
      const servers = data["servers"];
      result.mcpServers = isTable(servers) ? Object.keys(servers) : [];
      result.mcpConfig = parsed.success ? (parsed.data.servers ?? {}) : null;
      return finish(result, [
        ...report.diagnostics,
        ...mcpServerDiagnostics(path, data, index),
        ...unknown(path, data, index, MCP_KEY_TREE, report.explained),
      ]);
    }
    case "settings": {
      const parsed = settingsSchema.safeParse(data);
      const report = issuesToDiagnostics(parsed.success ? [] : parsed.error.issues, {
        file: path,
        data,
        index,
        codes: SETTINGS_CODES,
      });
      return finish(result, [
        ...report.diagnostics,
        ...unknown(path, data, index, SETTINGS_KEY_TREE, report.explained),
      ]);
    }
  }
}

/** The same analysis for another path of the same kind (a cache hit for identical content elsewhere). */
export function relocateAnalysis(a: FileAnalysis, path: string): FileAnalysis {
  if (a.path === path) return a;
  return { ...a, path, diagnostics: a.diagnostics.map((d) => ({ ...d, path })) };
}

function finish(result: FileAnalysis, diagnostics: Diagnostic[]): FileAnalysis {
  diagnostics.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  result.diagnostics = diagnostics;
  result.hasErrors = diagnostics.some((d) => d.severity === "error");
  return result;
}

function unknown(path: string, data: TomlTable, index: PositionIndex, tree: KeyTree, explained: Set<string>) {
  return unknownKeyWarnings({ file: path, data, index, tree, explained });
}

function agentFacts(data: TomlTable, index: PositionIndex, config: AgentConfig | null): AgentFacts {
  const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
  const tools: ToolRef[] = [];
  const written = data["tools"];
  // The guide's `tools = [...]` or the domain schema's `[tools] available = [...]`.
  const [available, at] = Array.isArray(written)
    ? [written, ["tools"]]
    : [isTable(written) ? written["available"] : undefined, ["tools", "available"]];
  if (Array.isArray(available)) {
    available.forEach((t: unknown, i) => {
      if (typeof t === "string") tools.push({ name: t, at: index.nearest([...at, i]) });
    });
  }
  const templates: Record<string, string[]> = {};
  for (const key of TEMPLATE_KEYS) {
    const v = data[key];
    if (typeof v === "string") templates[key] = scanTemplate(v).variables;
  }
  const capabilities = data["capabilities"];
  const name = str(data["name"]);
  return {
    name,
    nameAt: name === null ? null : index.nearest(["name"]),
    version: str(data["version"]),
    capabilities: Array.isArray(capabilities)
      ? capabilities.filter((c: unknown): c is string => typeof c === "string")
      : [],
    tools,
    templates,
    config,
  };
}

/**
 * `tools = [...]` and a `[tools]` table (or `tools.` dotted keys) in one file: TOML says only "trying to
 * redefine an already defined table or value"; say which two lines and what to keep.
 */
function toolsWrittenTwice(path: string, text: string, errLine: number): Diagnostic | null {
  const lines = text.split("\n");
  const second = lines[errLine - 1] ?? "";
  if (!/^\s*(\[\s*tools\s*[\].]|tools\s*\.)/.test(second)) return null;
  const first = lines.findIndex((l, i) => i < errLine - 1 && /^\s*tools\s*=/.test(l));
  if (first < 0) return null;
  return makeDiagnostic(
    path,
    { line: errLine, column: second.search(/\S/) + 1 },
    "E_AGENT_TOOLS_TWICE",
    `\`tools\` is written twice: as a list on line ${first + 1} and as a [tools] table here`,
    "keep one form: `tools = [...]` at the top of the file, or a [tools] table with `available = [...]`",
  );
}

/** What to add when a required agent key is missing and not written anywhere else in the file. */
function agentMissingHint(path: PathSegment[], index: PositionIndex, explained: Set<string>): string | null {
  const [first, second] = path;
  if (path.length === 1 && typeof first === "string") {
    if (first === "tools") {
      const stray = index.get(["available"]);
      if (stray) explained.add(JSON.stringify(stray.path));
      return stray
        ? `\`available\` on line ${stray.key.line} is at the top level; put a [tools] header above it (after the top-level keys)`
        : "add a [tools] table with `available = [...]` (an empty list is allowed)";
    }
    const example = AGENT_KEY_EXAMPLES[first];
    return example ? `add \`${example}\` at the top of the file, before any [table] header` : null;
  }
  if (first === "tools" && second === "available") return "add `available = [...]` under the [tools] header";
  if (first === "llm" && second === "provider")
    return 'add `provider = "openai"` (or "anthropic", "local") under the [llm] header';
  if (first === "llm" && second === "model") return 'add `model = "..."` under the [llm] header';
  if (first === "schedule" && second === "cron")
    return 'add `cron = "0 8 * * MON"` (minute hour day-of-month month day-of-week) under the [schedule] header';
  return null;
}
