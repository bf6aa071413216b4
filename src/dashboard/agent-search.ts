/** The agent table's search: pure (no DOM), so it is property-tested in Node. */
export interface AgentSummary {
  name: string;
  version: string;
  path: string;
  checksum: string;
  capabilities: string[];
  tools: string[];
  model: string | null;
}

/** Every word of the query (case-insensitive) appears in the name, version, model, path, a capability or a tool. */
export function matchesAgent(agent: AgentSummary, query: string): boolean {
  const words = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const hay = [
    agent.name,
    agent.version,
    agent.model ?? "",
    agent.path,
    ...agent.capabilities,
    ...agent.tools,
  ].map((s) => s.toLowerCase());
  return words.every((word) => hay.some((s) => s.includes(word)));
}
