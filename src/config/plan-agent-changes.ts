/**
 * The agent-aware plan: for each agent a deployment touches, whether it is added, modified, removed or
 * renamed, which fields of its normalized config changed (dotted paths), and what that means:
 *
 * - breaking: agent removed or renamed; a capability removed (and whether any agent still provides it);
 *   a tool removed; a `{{placeholder}}` removed from a prompt; a permission narrowed (file or network access
 *   lowered, a memory or CPU limit set or lowered); an MCP server removed or its command or url changed
 *   (listed with the agents whose tools name it);
 * - compatible: agent added; a capability or tool added; a permission widened (named in the reasons, for
 *   review); any other field changed (model, sampling, memory,
 *   conversation limits, prompts — with a word diff and the change in length — and the guide's tables);
 * - cosmetic: only `description` or `documentation` changed, or nothing the parsed config shows
 *   (comments, whitespace, key order, the form the tool list is written in).
 *
 * Pure: it compares normalized configs (analyze-file.ts), so formatting never counts as a change. The
 * caller says which paths changed; unchanged agents are read only to answer "does another agent still
 * provide this capability" and "which agents use this MCP server", and only when that question arises.
 */
import type { AgentChange, AgentPlan, Impact, McpServerChange } from "../protocol/messages.js";
import { IMPACTS } from "../protocol/messages.js";
import { TEMPLATE_KEYS, type AgentConfig } from "./agent-schema.js";
import { parseMcpToolName } from "./agent-value-rules.js";
import { MCP_SERVERS_PATH, type FileAnalysis } from "./analyze-file.js";
import { describeMove, permissionChanges } from "./permission-changes.js";
import type { McpServersConfig } from "./mcp-servers-schema.js";
import { promptWordDiff } from "./prompt-word-diff.js";
import { scanTemplate } from "./template-variables.js";

type McpServers = NonNullable<McpServersConfig["servers"]>;

/** One side of the comparison: the configuration before or after the deployment. */
export interface ConfigSide {
  /** The valid agent defined by the file at `path`, if any. */
  agentAt(path: string): AgentConfig | undefined;
  /** Every valid agent (iterated only when a capability is removed or tools/mcp_servers.toml changed). */
  allAgents(): Iterable<AgentConfig>;
  /** The servers of tools/mcp_servers.toml ({} when the file is absent). */
  mcpServers(): McpServers;
}

/** Fields whose change alone is cosmetic: what people read, not what the agent does. */
const COSMETIC_FIELDS = new Set(["description", "documentation"]);

export function planAgentChanges(
  before: ConfigSide,
  after: ConfigSide,
  changedPaths: Iterable<string>,
): AgentPlan {
  const removed = new Map<string, { path: string; config: AgentConfig }>();
  const added = new Map<string, { path: string; config: AgentConfig }>();
  let mcpChanged = false;
  for (const path of changedPaths) {
    if (path === MCP_SERVERS_PATH) mcpChanged = true;
    const b = before.agentAt(path);
    const a = after.agentAt(path);
    if (b) removed.set(b.name, { path, config: b });
    if (a) added.set(a.name, { path, config: a });
  }
  const agents: AgentChange[] = [];
  const providers = lazyCapabilities(after);
  // an agent whose name is on both sides was modified (perhaps moved to another path)
  for (const [name, b] of removed) {
    const a = added.get(name);
    if (!a) continue;
    removed.delete(name);
    added.delete(name);
    agents.push(compareAgent(b.config, a.config, a.path, providers));
  }
  // a file that defined one agent and now defines another: a rename
  const addedByPath = new Map([...added.values()].map((a) => [a.path, a]));
  for (const [name, b] of removed) {
    const a = addedByPath.get(b.path);
    const lost = lostCapabilities(b.config.capabilities, a?.config.capabilities ?? [], providers);
    if (a) {
      added.delete(a.config.name);
      agents.push({
        name: a.config.name,
        path: a.path,
        change: "renamed",
        impact: "breaking",
        fields: ["name", ...changedFields(b.config, a.config).filter((f) => f !== "name")],
        reasons: [`renamed from \`${name}\`: callers of \`${name}\` find no agent`, ...lost],
        renamed_from: name,
      });
    } else {
      agents.push({
        name,
        path: b.path,
        change: "removed",
        impact: "breaking",
        fields: [],
        reasons: ["agent removed", ...lost],
      });
    }
  }
  for (const [name, a] of added)
    agents.push({
      name,
      path: a.path,
      change: "added",
      impact: "compatible",
      fields: [],
      reasons: ["agent added"],
    });
  agents.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  const mcp = mcpChanged ? compareMcp(before.mcpServers(), after.mcpServers(), before, after) : [];
  const impacts = [...agents.map((a) => a.impact), ...mcp.map((m) => m.impact)];
  return { impact: impacts.length === 0 ? null : impacts.reduce(worse), agents, mcp_servers: mcp };
}

export function worse(a: Impact, b: Impact): Impact {
  return IMPACTS.indexOf(a) >= IMPACTS.indexOf(b) ? a : b;
}

function compareAgent(
  b: AgentConfig,
  a: AgentConfig,
  path: string,
  providers: (capability: string) => boolean,
): AgentChange {
  const fields = changedFields(b, a);
  const reasons: string[] = [];
  let impact: Impact = fields.every((f) => COSMETIC_FIELDS.has(f)) ? "cosmetic" : "compatible";
  const breaking = (reason: string) => {
    reasons.push(reason);
    impact = "breaking";
  };
  for (const lost of lostCapabilities(b.capabilities, a.capabilities, providers)) breaking(lost);
  for (const c of a.capabilities) if (!b.capabilities.includes(c)) reasons.push(`capability \`${c}\` added`);
  for (const t of b.tools.available) if (!a.tools.available.includes(t)) breaking(`tool \`${t}\` removed`);
  for (const t of a.tools.available) if (!b.tools.available.includes(t)) reasons.push(`tool \`${t}\` added`);
  for (const m of permissionChanges(b.permissions, a.permissions)) {
    if (m.direction === "narrowed") breaking(describeMove(m));
    else reasons.push(describeMove(m));
  }
  const prompts = [];
  for (const key of TEMPLATE_KEYS) {
    if (b[key] === a[key]) continue;
    const had = scanTemplate(b[key]).variables;
    const has = new Set(scanTemplate(a[key]).variables);
    for (const v of had) if (!has.has(v)) breaking(`placeholder \`{{${v}}}\` removed from ${key}`);
    prompts.push({
      field: key,
      length_before: b[key].length,
      length_after: a[key].length,
      word_diff: promptWordDiff(b[key], a[key]),
    });
  }
  return {
    name: a.name,
    path,
    change: "modified",
    impact,
    fields,
    reasons,
    ...(prompts.length > 0 ? { prompts } : {}),
  };
}

/** "capability `x` removed", saying so when no agent after the deployment provides it. */
function lostCapabilities(had: string[], has: string[], providers: (c: string) => boolean): string[] {
  return had
    .filter((c) => !has.includes(c))
    .map((c) =>
      providers(c)
        ? `capability \`${c}\` removed`
        : `capability \`${c}\` removed; no other agent provides it`,
    );
}

/** Whether any agent after the deployment provides a capability (the index is built on first use). */
function lazyCapabilities(after: ConfigSide): (capability: string) => boolean {
  let all: Set<string> | undefined;
  return (c) => {
    all ??= new Set([...after.allAgents()].flatMap((a) => a.capabilities));
    return all.has(c);
  };
}

/**
 * Dotted paths where two normalized values differ. Arrays are compared whole (`tools.available`,
 * `capabilities`): their elements have no names, and an order change is a change of the list.
 */
export function changedFields(b: unknown, a: unknown, prefix = ""): string[] {
  if (isRecord(b) && isRecord(a)) {
    const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
    return keys.flatMap((k) => changedFields(b[k], a[k], prefix === "" ? k : `${prefix}.${k}`));
  }
  return sameValue(b, a) ? [] : [prefix];
}

function sameValue(b: unknown, a: unknown): boolean {
  if (Array.isArray(b) && Array.isArray(a))
    return b.length === a.length && b.every((x, i) => sameValue(x, a[i]));
  if (isRecord(b) && isRecord(a)) return changedFields(b, a).length === 0;
  return Object.is(b, a);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function compareMcp(b: McpServers, a: McpServers, before: ConfigSide, after: ConfigSide): McpServerChange[] {
  const out: McpServerChange[] = [];
  let users: Map<string, Set<string>> | undefined;
  const agentsOf = (server: string): string[] => {
    if (!users) {
      users = new Map();
      for (const side of [before, after])
        for (const agent of side.allAgents())
          for (const tool of agent.tools.available) {
            const ref = parseMcpToolName(tool);
            if (!ref) continue;
            const set = users.get(ref.server) ?? new Set<string>();
            set.add(agent.name);
            users.set(ref.server, set);
          }
    }
    return [...(users.get(server) ?? [])].sort();
  };
  const names = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
  for (const name of names) {
    const was = Object.hasOwn(b, name) ? b[name] : undefined;
    const is = Object.hasOwn(a, name) ? a[name] : undefined;
    if (was && !is) {
      out.push({
        name,
        change: "removed",
        impact: "breaking",
        fields: [],
        reasons: ["MCP server removed"],
        agents: agentsOf(name),
      });
    } else if (!was && is) {
      out.push({
        name,
        change: "added",
        impact: "compatible",
        fields: [],
        reasons: ["MCP server added"],
        agents: agentsOf(name),
      });
    } else if (was && is) {
      const fields = changedFields(was, is);
      if (fields.length === 0) continue;
      const transport = fields.filter((f) => f === "command" || f === "url");
      out.push({
        name,
        change: "modified",
        impact: transport.length > 0 ? "breaking" : "compatible",
        fields,
        reasons: transport.map((f) => `\`${f}\` changed`),
        agents: agentsOf(name),
      });
    }
  }
  return out;
}

/** One side of the comparison from per-file analyses by workspace path (the CLI's and the server's). */
export function configSide(analyses: ReadonlyMap<string, FileAnalysis>): ConfigSide {
  return {
    agentAt: (path) => analyses.get(path)?.agent?.config ?? undefined,
    *allAgents() {
      for (const a of analyses.values()) if (a.agent?.config) yield a.agent.config;
    },
    mcpServers: () => analyses.get(MCP_SERVERS_PATH)?.mcpConfig ?? {},
  };
}
