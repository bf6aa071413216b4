/**
 * Validation proportional to the change. The live deployment passed every rule, so for the next one only
 * these can fail: the changed config files' own rules (parse cache by checksum), duplicate names among the
 * names a changed or removed file had or has (checked over every file of those names), and the MCP tools
 * of changed agents. Unchanged agents keep valid tool references as long as tools/mcp_servers.toml is
 * unchanged; when it changes (or nothing is validated yet), everything is checked again. Same rules as
 * `validateWorkspace` (config/), same diagnostics for the files involved; warnings are the changed files'.
 * The rules run on the change; what stays linear is bookkeeping (copying the path maps, ~0.5-1 µs a file):
 * measured with `bench/validation-scaling.ts`, a one-agent change on 10,000 agents validates in 5-19 ms.
 */
import type { Diagnostic } from "../errors/caxton-error.js";
import { agentRecord, type AgentRecord, type CacheEntry, type ConfigCache } from "../config/config-cache.js";
import { MCP_SERVERS_PATH, type FileAnalysis } from "../config/analyze-file.js";
import { crossCheck } from "../config/cross-check.js";
import { sortDiagnostics } from "../config/validate-workspace.js";

/** What is known about a validated (live) deployment's configuration, by workspace path. */
export interface ValidatedConfig {
  checksums: Map<string, string>;
  analyses: Map<string, FileAnalysis>;
  agents: Map<string, AgentRecord>;
  /** agent name -> paths that define it */
  names: Map<string, Set<string>>;
}

export interface ValidationOutcome {
  diagnostics: Diagnostic[];
  state: ValidatedConfig;
}

export function validateIncrementally(
  cache: ConfigCache,
  entries: CacheEntry[],
  previous: ValidatedConfig | undefined,
): ValidationOutcome {
  const mcpNow = entries.find((e) => e.path === MCP_SERVERS_PATH)?.checksum;
  if (!previous || previous.checksums.get(MCP_SERVERS_PATH) !== mcpNow) return validateAll(cache, entries);
  const state: ValidatedConfig = {
    checksums: new Map<string, string>(),
    analyses: new Map(previous.analyses),
    agents: new Map(previous.agents),
    names: new Map(previous.names), // copy-on-write per touched name (see forget/remember)
  };
  const changed: FileAnalysis[] = [];
  const touchedNames = new Set<string>();
  const forget = (path: string): void => {
    const old = state.analyses.get(path);
    const name = old?.agent?.name;
    if (name) {
      touchedNames.add(name);
      const paths = new Set(state.names.get(name));
      paths.delete(path);
      state.names.set(name, paths);
    }
    state.analyses.delete(path);
    state.agents.delete(path);
  };
  for (const e of entries) {
    state.checksums.set(e.path, e.checksum);
    if (previous.checksums.get(e.path) === e.checksum) continue;
    forget(e.path);
    const a = cache.analyze(e);
    remember(state, a, e.checksum);
    if (a.agent?.name) touchedNames.add(a.agent.name);
    changed.push(a);
  }
  for (const path of previous.checksums.keys()) if (!state.checksums.has(path)) forget(path);
  // every file sharing a touched name, plus the changed files and the MCP servers they may reference
  const involved = new Map<string, FileAnalysis>();
  for (const a of changed) involved.set(a.path, a);
  for (const name of touchedNames) {
    for (const path of state.names.get(name) ?? []) {
      const a = state.analyses.get(path);
      if (a) involved.set(path, a);
    }
  }
  const mcp = state.analyses.get(MCP_SERVERS_PATH);
  if (mcp) involved.set(mcp.path, mcp);
  const diagnostics = sortDiagnostics([
    ...changed.flatMap((a) => a.diagnostics),
    ...crossCheck(involved.values()),
  ]);
  return { diagnostics, state };
}

function validateAll(cache: ConfigCache, entries: CacheEntry[]): ValidationOutcome {
  const result = cache.validateWithCache(entries);
  const state: ValidatedConfig = {
    checksums: new Map(),
    analyses: new Map(),
    agents: new Map(),
    names: new Map(),
  };
  const checksum = new Map(entries.map((e) => [e.path, e.checksum]));
  for (const a of result.analyses) {
    const sum = checksum.get(a.path) ?? "";
    state.checksums.set(a.path, sum);
    remember(state, a, sum);
  }
  return { diagnostics: result.diagnostics, state };
}

function remember(state: ValidatedConfig, a: FileAnalysis, checksum: string): void {
  state.analyses.set(a.path, a);
  const record = agentRecord(a, checksum);
  if (record) state.agents.set(a.path, record);
  const name = a.agent?.name;
  if (name) {
    const paths = new Set(state.names.get(name));
    paths.add(a.path);
    state.names.set(name, paths);
  }
}

/** The live agents as the read API lists them, sorted by path. */
export function sortedAgents(state: ValidatedConfig): AgentRecord[] {
  return [...state.agents.values()].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}
