/**
 * The server's parsed-configuration cache. Per-file analyses are pure functions of (file kind, content), so
 * they are cached by blob checksum: a deploy that changes one agent loads and parses one file, and the rest
 * is the cheap cross-file pass. The checksum is trusted to identify the content (the server computes it as
 * the blob's SHA-256 when it stores the blob).
 *
 * Bounded as an LRU (default 100,000 analyses, several times the largest workspace we plan for) so a
 * long-running server that sees many versions of many files does not grow without limit.
 */
import type { Diagnostic } from "../errors/caxton-error.js";
import type { AgentConfig } from "./agent-schema.js";
import { analyzeFile, classifyPath, relocateAnalysis, type FileAnalysis } from "./analyze-file.js";
import { crossCheck } from "./cross-check.js";
import { sortDiagnostics } from "./validate-workspace.js";

export interface CacheEntry {
  path: string;
  /** Identifies the content (the blob's SHA-256 hex). */
  checksum: string;
  /** Called only on a cache miss. */
  load: () => Uint8Array;
}

/** One valid agent, as the read API lists it (`GET /api/v1/agents`) and serves it (`.../{name}`). */
export interface AgentRecord {
  name: string;
  version: string;
  path: string;
  checksum: string;
  capabilities: string[];
  tools: string[];
  /** The `{{variable}}` names of each prompt template, in order of first use. */
  template_variables: Record<string, string[]>;
  /** Normalized, with defaults filled in. Shared with the cache: treat as read-only. */
  config: AgentConfig;
}

/** The read API's record of a valid agent file, or null when the file is no (valid) agent. */
export function agentRecord(a: FileAnalysis, checksum: string): AgentRecord | null {
  const config = a.agent?.config;
  if (!config) return null;
  return {
    name: config.name,
    version: config.version,
    path: a.path,
    checksum,
    capabilities: config.capabilities,
    tools: config.tools.available,
    template_variables: a.agent?.templates ?? {},
    config,
  };
}

export interface CachedValidation {
  /** Every problem, sorted by path, line, column; the deployment is rejected if any is an error. */
  diagnostics: Diagnostic[];
  /** Agents whose own file has no errors, sorted by path (cross-file errors do not remove an agent). */
  agents: AgentRecord[];
  /** The per-file analyses, in the order of the entries (config files only). */
  analyses: FileAnalysis[];
}

export interface ConfigCacheStats {
  size: number;
  hits: number;
  misses: number;
}

export class ConfigCache {
  private readonly entries = new Map<string, FileAnalysis>();
  private hits = 0;
  private misses = 0;

  constructor(private readonly maxEntries = 100_000) {}

  /** Whether `analyze` would answer this file from the cache (without loading its content). */
  has(path: string, checksum: string): boolean {
    const kind = classifyPath(path);
    return kind === "other" || this.entries.has(`${kind}:${checksum}`);
  }

  /** The analysis of one file, from the cache when its checksum (for a file of that kind) was seen. */
  analyze(entry: CacheEntry): FileAnalysis {
    const kind = classifyPath(entry.path);
    // Keyed by kind as well: the same bytes are an agent under agents/ and plain TOML elsewhere.
    const key = `${kind}:${entry.checksum}`;
    const cached = this.entries.get(key);
    if (cached) {
      this.hits++;
      this.entries.delete(key); // re-insert: Map order is the LRU order
      this.entries.set(key, cached);
      return relocateAnalysis(cached, entry.path);
    }
    this.misses++;
    const analysis = analyzeFile(entry.path, kind === "other" ? new Uint8Array() : entry.load());
    this.entries.set(key, analysis);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    return analysis;
  }

  /**
   * Validates a whole workspace (every file, or only its `*.toml` files), loading only files whose checksum
   * is new. Same rules and same result as `validateWorkspace` over the same contents.
   */
  validateWithCache(entries: Iterable<CacheEntry>): CachedValidation {
    const analyses: FileAnalysis[] = [];
    const checksums = new Map<string, string>();
    for (const e of entries) {
      if (classifyPath(e.path) === "other") continue;
      analyses.push(this.analyze(e));
      checksums.set(e.path, e.checksum);
    }
    const diagnostics = sortDiagnostics([...analyses.flatMap((a) => a.diagnostics), ...crossCheck(analyses)]);
    const agents: AgentRecord[] = [];
    for (const a of analyses) {
      const record = agentRecord(a, checksums.get(a.path) ?? "");
      if (record) agents.push(record);
    }
    agents.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
    return { diagnostics, agents, analyses };
  }

  stats(): ConfigCacheStats {
    return { size: this.entries.size, hits: this.hits, misses: this.misses };
  }

  clear(): void {
    this.entries.clear();
  }
}
