/** `caxton status [DIR] [--server URL] [--json]` — offline: compares with the last deploy's recorded files. */
import { withLocalState } from "../../client/open-local-state.js";
import { printNotice } from "../print-error.js";
import { workspaceStatus } from "../../client/workspace-status.js";
import { parseCommandArgs } from "../parse-args.js";
import { resolveServer, resolveWorkspace } from "../resolve-target.js";
import { style } from "../style.js";

const USAGE = `usage: caxton status [DIR] [--server URL] [--json]

Shows what changed in the workspace since its last successful deploy to the server. Works offline.
`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { server: { type: "string" }, json: { type: "boolean" } },
    USAGE,
  );
  const workspace = resolveWorkspace(positionals[0]);
  const server = resolveServer(values.server, workspace);
  const st = await withLocalState(async (state) => workspaceStatus(workspace, server, state), printNotice);
  if (values.json) {
    const { workspace_checksum, deployed_checksum, in_sync, added, modified, deleted, last_deployment } = st;
    process.stdout.write(
      `${JSON.stringify({ workspace, server, workspace_checksum, deployed_checksum, in_sync, added, modified, deleted, last_deployment }, null, 2)}\n`,
    );
    return 0;
  }
  const s = style(process.stdout);
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  out(`Workspace ${workspace}`);
  out(`Server    ${server}`);
  if (!st.last_deployment) {
    out(`Never deployed from here to this server: ${st.added.length} file(s) would be added.`);
  } else {
    const when = new Date(st.last_deployment.time);
    out(
      `Last deploy #${st.last_deployment.id} at ${when.toISOString()} (${ago(when)}), ${st.last_deployment.changes_count} change(s)`,
    );
  }
  if (st.in_sync) {
    out(`${s.green("✓")} In sync: nothing to deploy (checksum ${st.workspace_checksum.slice(0, 12)})`);
    return 0;
  }
  for (const p of st.added) out(`  ${s.green("+")} ${p}`);
  for (const p of st.modified) out(`  ${s.yellow("~")} ${p}`);
  for (const p of st.deleted) out(`  ${s.red("-")} ${p}`);
  if (st.last_deployment) {
    out(
      `${st.added.length} added, ${st.modified.length} modified, ${st.deleted.length} deleted since the last deploy; run \`caxton deploy\``,
    );
  }
  return 0;
}

function ago(when: Date): string {
  const s = Math.max(0, Math.round((Date.now() - when.getTime()) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}
