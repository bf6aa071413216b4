/** `caxton workspaces`: the server's workspaces, with what is live in each. */
import { ApiClient } from "../../client/api-client.js";
import { parseCommand } from "../parse-args.js";
import { writeJson } from "../write-json.js";
import { COMMANDS } from "../command-table.js";
import { apiTarget } from "../connection-flags.js";
import { style } from "../style.js";

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommand("workspaces", COMMANDS.workspaces, argv);
  const api = new ApiClient(...apiTarget(values));
  try {
    const answer = await api.workspaces();
    if (values.json) {
      writeJson(answer);
      return 0;
    }
    const s = style(process.stdout);
    const rows = answer.workspaces.map((w) => [
      w.name,
      w.deployment_id === null ? "-" : `#${w.deployment_id}`,
      w.checksum === null ? "-" : w.checksum.slice(0, 12),
      String(w.agents),
      w.last_deploy ?? "never",
    ]);
    const head = ["WORKSPACE", "LIVE", "CHECKSUM", "AGENTS", "LAST DEPLOY"];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
    const line = (cells: string[]): string =>
      cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ");
    process.stdout.write(`${s.dim(line(head))}\n`);
    for (const r of rows) process.stdout.write(`${line(r)}\n`);
    return 0;
  } finally {
    api.close();
  }
}
