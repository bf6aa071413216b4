/** `caxton agents [NAME]`: the agents that are live on a server, or the one named NAME. */
import { ApiClient } from "../../client/api-client.js";
import type { AgentRecord } from "../../config/config-cache.js";
import { parseCommand } from "../parse-args.js";
import { writeJson } from "../write-json.js";
import { COMMANDS } from "../command-table.js";
import { apiTarget } from "../connection-flags.js";
import { style } from "../style.js";

type AgentSummary = Omit<AgentRecord, "config">;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand("agents", COMMANDS.agents, argv);
  const api = new ApiClient(...apiTarget(values));
  try {
    const [name] = positionals;
    if (name !== undefined) {
      const agent = (await api.getJson(`/agents/${encodeURIComponent(name)}`)) as AgentDetail;
      if (values.json) writeJson(agent);
      else printAgent(agent);
      return 0;
    }
    const live = (await api.getJson("/agents")) as { deployment_id: number | null; agents: AgentSummary[] };
    if (values.json) {
      writeJson(live);
      return 0;
    }
    if (live.deployment_id === null) {
      process.stdout.write("Nothing deployed yet.\n");
      return 0;
    }
    const s = style(process.stdout);
    process.stdout.write(`${live.agents.length} agent(s) live in deployment #${live.deployment_id}\n`);
    const width = Math.max(4, ...live.agents.map((a) => a.name.length));
    for (const a of live.agents) {
      process.stdout.write(`  ${s.bold(a.name.padEnd(width))}  ${a.version.padEnd(8)}  ${s.dim(a.path)}\n`);
      if (a.capabilities.length)
        process.stdout.write(`  ${" ".repeat(width)}  capabilities: ${a.capabilities.join(", ")}\n`);
      if (a.tools.length) process.stdout.write(`  ${" ".repeat(width)}  tools: ${a.tools.join(", ")}\n`);
    }
    return 0;
  } finally {
    api.close();
  }
}

interface AgentDetail {
  deployment_id: number;
  path: string;
  file_checksum: string;
  config: Record<string, unknown>;
}

function printAgent(a: AgentDetail): void {
  const s = style(process.stdout);
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  out(`${s.bold(String(a.config.name))} ${String(a.config.version ?? "")}  ${s.dim(a.path)}`);
  out(`  live in deployment #${a.deployment_id}, file checksum ${a.file_checksum.slice(0, 12)}`);
  for (const [key, value] of Object.entries(a.config)) {
    if (key === "name" || key === "version") continue;
    out(`  ${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`);
  }
}
