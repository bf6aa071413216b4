/**
 * `caxton show [ID]`: one deployment (default: the live one): who, when, git commit, message, the files it
 * added, modified and deleted (against the deployment before it) and the agent files it contained.
 */
import { ApiClient } from "../../client/api-client.js";
import { classifyPath } from "../../config/analyze-file.js";
import { CaxtonError } from "../../errors/caxton-error.js";
import { diffManifests } from "../../merkle/diff-manifests.js";
import { parseCommand } from "../parse-args.js";
import { writeJson } from "../write-json.js";
import { COMMANDS } from "../command-table.js";
import { connectionFrom } from "../connection-flags.js";
import { findWorkspace, resolveServer } from "../resolve-target.js";
import { planSummary } from "../agent-plan-lines.js";
import { style } from "../style.js";

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand("show", COMMANDS.show, argv);
  const [wanted] = positionals;
  if (wanted !== undefined && !/^#?\d{1,15}$/.test(wanted)) {
    throw new CaxtonError("E_USAGE", `a deployment id is a number (as \`caxton log\` shows), got ${wanted}`);
  }
  const api = new ApiClient(resolveServer(values.server, findWorkspace()), connectionFrom(values));
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
    const previous = history[at + 1];
    const files = await api.manifestOf(entry.checksum);
    const before = previous ? await api.manifestOf(previous.checksum) : new Map<string, string>();
    const changes = diffManifests(before, files);
    const agents = [...files.keys()].filter((p) => classifyPath(p) === "agent").sort();
    const report = {
      ...entry,
      live: at === 0,
      previous: previous ? { id: previous.id, checksum: previous.checksum } : null,
      files: files.size,
      agents,
      added: changes.added,
      modified: changes.modified,
      deleted: changes.deleted,
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
        ? `Changes against #${previous.id}: ${changes.added.length} added, ${changes.modified.length} modified, ${changes.deleted.length} deleted`
        : `The first deployment: ${changes.added.length} added`,
    );
    for (const p of changes.added) out(`  ${s.green("+")} ${p}`);
    for (const p of changes.modified) out(`  ${s.yellow("~")} ${p}`);
    for (const p of changes.deleted) out(`  ${s.red("-")} ${p}`);
    return 0;
  } finally {
    api.close();
  }
}
