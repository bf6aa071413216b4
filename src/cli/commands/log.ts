/** `caxton log [--server URL] [--json] [-n N]`: the server's deployment history, newest first. */
import { ApiClient } from "../../client/api-client.js";
import { parseCommand } from "../parse-args.js";
import { writeJson } from "../write-json.js";
import { COMMANDS } from "../command-table.js";
import { apiTarget } from "../connection-flags.js";
import { planSummary } from "../agent-plan-lines.js";
import { style } from "../style.js";
import { CaxtonError } from "../../errors/caxton-error.js";

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommand("log", COMMANDS.log, argv);
  const limit = values.n === undefined ? 20 : Number(values.n);
  if (!Number.isInteger(limit) || limit < 1)
    throw new CaxtonError("E_USAGE", `-n takes a positive number, got ${values.n}`);
  const api = new ApiClient(...apiTarget(values));
  try {
    const entries = await api.history(limit);
    if (values.json) {
      writeJson({ deployments: entries });
      return 0;
    }
    if (entries.length === 0) {
      process.stdout.write("No deployments yet.\n");
      return 0;
    }
    const s = style(process.stdout);
    const [live] = entries;
    for (const e of entries) {
      const head = `${s.yellow(`#${e.id}`)} ${e.checksum.slice(0, 12)}${e === live ? s.green(" (live)") : ""}`;
      const what = e.kind === "rollback" ? `rollback to #${e.rollback_of}` : "deploy";
      process.stdout.write(`${head}  ${e.time}  ${what}  +${e.added} ~${e.modified} -${e.deleted}\n`);
      const by = e.deployed_by ? `by ${e.deployed_by}` : "";
      const git = e.git
        ? `  git ${e.git.commit.slice(0, 10)}${e.git.branch ? ` (${e.git.branch})` : ""}${e.git.dirty ? " dirty" : ""}`
        : "";
      if (by || git) process.stdout.write(`    ${by}${git}\n`);
      if (e.message) process.stdout.write(`    ${e.message}\n`);
      if (e.plan) process.stdout.write(`    ${planSummary(e.plan)}\n`);
    }
    return 0;
  } finally {
    api.close();
  }
}
