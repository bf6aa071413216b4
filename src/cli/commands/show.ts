/**
 * `caxton show [ID]`: one deployment (default: the live one): who, when, git commit, message, the files it
 * added, modified and deleted (against the deployment before it) and the agent files it contained.
 */
import { ApiClient } from "../../client/api-client.js";
import { classifyPath } from "../../config/analyze-file.js";
import { CaxtonError } from "../../errors/caxton-error.js";
import type { DeploymentChanges } from "../../server/deployment-changes.js";
import { parseCommand } from "../parse-args.js";
import { writeJson } from "../write-json.js";
import { COMMANDS } from "../command-table.js";
import { apiTarget } from "../connection-flags.js";
import { planSummary } from "../agent-plan-lines.js";
import { style } from "../style.js";

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand("show", COMMANDS.show, argv);
  const [wanted] = positionals;
  if (wanted !== undefined && !/^#?\d{1,15}$/.test(wanted)) {
    throw new CaxtonError("E_USAGE", `a deployment id is a number (as \`caxton log\` shows), got ${wanted}`);
  }
  const api = new ApiClient(...apiTarget(values));
  try {
    const history = await api.history(10_000);
    const at = wanted === undefined ? 0 : history.findIndex((e) => e.id === Number(wanted.replace("#", "")));
    const entry = history[at];
    if (!entry) {
      throw new CaxtonError(
        "E_NOT_FOUND",
        wanted === undefined ? "nothing has been deployed yet" : `no deployment ${wanted}`,
        { hint: "`caxton log` lists the deployments" },
      );
    }
    // what it changed against its parent, as the dashboard shows it; what it holds, from its file map
    const changes = (await api.getJson(`/deployments/${entry.id}/changes`)) as DeploymentChanges;
    const files = await api.manifestOf(entry.checksum);
    const agents = [...files.keys()].filter((p) => classifyPath(p) === "agent").sort();
    const byChange = (c: string): string[] => changes.files.filter((f) => f.change === c).map((f) => f.path);
    const previous = changes.base
      ? { id: changes.base.deployment_id, checksum: changes.base.checksum }
      : null;
    const report = {
      ...entry,
      live: at === 0,
      previous,
      files: files.size,
      agents,
      added: byChange("added"),
      modified: byChange("modified"),
      deleted: byChange("deleted"),
      truncated: changes.truncated,
    };
    if (values.json) {
      writeJson(report);
      return 0;
    }
    const s = style(process.stdout);
    const out = (line: string): boolean => process.stdout.write(`${line}\n`);
    out(`${s.yellow(`deployment #${entry.id}`)}${report.live ? s.green(" (live)") : ""}  ${entry.checksum}`);
    out(`Kind:     ${entry.kind === "rollback" ? `rollback to #${entry.rollback_of}` : entry.kind}`);
    out(`When:     ${entry.time}`);
    if (entry.deployed_by) out(`By:       ${entry.deployed_by}`);
    if (entry.git)
      out(
        `Git:      ${entry.git.commit}${entry.git.branch ? ` (${entry.git.branch})` : ""}${entry.git.dirty ? " with uncommitted changes" : ""}`,
      );
    if (entry.message) out(`Message:  ${entry.message}`);
    if (entry.plan) out(`Meant:    ${planSummary(entry.plan)}`);
    out(
      `Contains: ${files.size} file(s), ${agents.length} agent file(s)${agents.length ? `: ${agents.join(", ")}` : ""}`,
    );
    out(
      previous
        ? `Changes against #${previous.id}: ${report.added.length} added, ${report.modified.length} modified, ${report.deleted.length} deleted`
        : `The first deployment: ${report.added.length} added`,
    );
    for (const p of report.added) out(`  ${s.green("+")} ${p}`);
    for (const p of report.modified) out(`  ${s.yellow("~")} ${p}`);
    for (const p of report.deleted) out(`  ${s.red("-")} ${p}`);
    if (changes.truncated) out(s.dim("  … the list is cut at 5,000 files"));
    return 0;
  } finally {
    api.close();
  }
}
