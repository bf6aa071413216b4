/** `caxton agents [--server URL] [--json]`: the agents that are live on a server. */
import { ApiClient } from "../../client/api-client.js";
import type { AgentRecord } from "../../config/config-cache.js";
import { parseCommandArgs } from "../parse-args.js";
import { CONNECTION_FLAGS, CONNECTION_USAGE, connectionFrom } from "../connection-flags.js";
import { findWorkspace, resolveServer } from "../resolve-target.js";
import { style } from "../style.js";

const USAGE = `usage: caxton agents [--server URL] [--json]

Lists the agents of the live deployment: name, version, file, capabilities and tools.
${CONNECTION_USAGE}
`;

type AgentSummary = Omit<AgentRecord, "config">;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    argv,
    { server: { type: "string" }, ...CONNECTION_FLAGS, json: { type: "boolean" } },
    USAGE,
  );
  const api = new ApiClient(resolveServer(values.server, findWorkspace()), connectionFrom(values));
  try {
    const live = (await api.getJson("/agents")) as { deployment_id: number | null; agents: AgentSummary[] };
    if (values.json) {
      process.stdout.write(`${JSON.stringify(live, null, 2)}\n`);
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
