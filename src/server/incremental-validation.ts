/**
 * Validation proportional to the change. The live deployment passed every rule, so for the next one only
 * these can fail: the changed config files' own rules (parse cache by checksum), duplicate names among the
 * names a changed or removed file had or has (checked over every file of those names), and the MCP tools
 * of changed agents. Unchanged agents keep valid tool references as long as tools/mcp_servers.toml is
 * unchanged; when it changes (or nothing is validated yet), everything is checked again. Same rules as
 * `validateWorkspace` (config/), same diagnostics for the files involved; warnings are the changed files'.
 * Given only the changed config files (config-entries.ts, from a deploy's tree walk), nothing is linear: the
 * path maps of the new state are layered over the previous state's (merkle/layered-map.ts), not copied.
 */
import type { Diagnostic } from "../errors/caxton-error.js";
import { agentRecord, type AgentRecord, type CacheEntry, type ConfigCache } from "../config/config-cache.js";
import { MCP_SERVERS_PATH, type FileAnalysis } from "../config/analyze-file.js";
import { crossCheck } from "../config/cross-check.js";
import { sortDiagnostics } from "../config/validate-workspace.js";
import { LayeredMap } from "../merkle/layered-map.js";

/** What is known about a validated (live) deployment's configuration, by workspace path. */
export interface ValidatedConfig {
  checksums: LayeredMap<string, string>;
  analyses: LayeredMap<string, FileAnalysis>;
  agents: LayeredMap<string, AgentRecord>;
  /** agent name -> paths that define it (each set is replaced, never changed, once in a state) */
  names: LayeredMap<string, ReadonlySet<string>>;
}

/**
 * The config files of a deployment: all of them (`complete`), or, against the previous state, the ones
 * that may differ from it (added or changed; unchanged ones are skipped) and the config paths it removed.
 */
export type ConfigFiles =
  { complete: true; entries: CacheEntry[] } | { complete: false; entries: CacheEntry[]; removed: string[] };

export interface ValidationOutcome {
  diagnostics: Diagnostic[];
  state: ValidatedConfig;
}

export function validateIncrementally(
  cache: ConfigCache,
  /** every config file of the deployment (an array), or ConfigFiles */
  given: CacheEntry[] | ConfigFiles,
  previous: ValidatedConfig | undefined,
): ValidationOutcome {
  const files: ConfigFiles = Array.isArray(given) ? { complete: true, entries: given } : given;
  const { entries } = files;
  if (files.complete) {
    const mcpNow = entries.find((e) => e.path === MCP_SERVERS_PATH)?.checksum;
    if (!previous || previous.checksums.get(MCP_SERVERS_PATH) !== mcpNow) return validateAll(cache, entries);
  } else if (!previous) {
    throw new Error("validateIncrementally: a partial set of config files needs the previous state");
  }
  const state: ValidatedConfig = {
    checksums: files.complete ? LayeredMap.derive(new Map()) : LayeredMap.derive(previous.checksums),
    analyses: LayeredMap.derive(previous.analyses),
    agents: LayeredMap.derive(previous.agents),
    names: LayeredMap.derive(previous.names), // copy-on-write per touched name (see forget/remember)
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
  if (files.complete) {
    for (const path of previous.checksums.keys()) if (!state.checksums.has(path)) forget(path);
  } else {
    for (const path of files.removed) {
      state.checksums.delete(path);
      forget(path);
    }
  }
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
    checksums: LayeredMap.derive(new Map()),
    analyses: LayeredMap.derive(new Map()),
    agents: LayeredMap.derive(new Map()),
    names: LayeredMap.derive(new Map()),
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
