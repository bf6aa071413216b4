/**
 * `caxton status [DIR]`: what changed since the last deploy from here (offline), and whether the server
 * still runs that deploy (one small request; `--offline` skips it). Loaded by status.ts when it runs.
 */
import { withLocalState } from "../../client/open-local-state.js";
import { printNotice } from "../print-error.js";
import { workspaceStatus, type WorkspaceStatus } from "../../client/workspace-status.js";
import { parseCommand } from "../parse-args.js";
import { writeJson } from "../write-json.js";
import { COMMANDS } from "../command-table.js";
import { connectionFrom } from "../connection-flags.js";
import { resolveServer, resolveWorkspace, serverUrlOf, workspaceOfServer } from "../resolve-target.js";
import { style } from "../style.js";
import { serverLabel } from "../../protocol/workspace-name.js";

/** status must answer fast even when the server is down or unreachable */
const CHECK_TIMEOUT_MS = 3000;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand("status", COMMANDS.status, argv);
  const workspace = resolveWorkspace(positionals[0]);
  const server = resolveServer(values.server, workspace, values.workspace);
  const connection = values.offline
    ? null
    : { ...connectionFrom(values, server), timeoutMs: CHECK_TIMEOUT_MS };
  // a damaged local state is moved aside and rebuilt: the status then compares against no last deploy
  const st = await withLocalState(
    (state) => workspaceStatus({ workspace, server, state, connection }),
    printNotice,
  );
  // JSON: the server's URL, and the server's workspace beside it (the `URL#NAME` key is the local state's);
  // `workspace` stays the folder, as it always was
  if (values.json)
    writeJson({ ...st, server: serverUrlOf(server), server_workspace: workspaceOfServer(server) });
  else printHuman(st);
  return 0;
}

function printHuman(st: WorkspaceStatus): void {
  const s = style(process.stdout);
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  out(`Workspace ${st.workspace}`);
  out(`Server    ${serverLabel(st.server)}`);
  const last = st.last_deployment;
  if (!last) {
    out(`Never deployed from here to this server: ${st.added.length} file(s) would be added.`);
  } else {
    const when = new Date(last.time);
    out(
      `Compared with your last deploy from here: #${last.id} at ${when.toISOString()} (${ago(when)}), ${last.changes_count} change(s)`,
    );
  }
  if (st.in_sync) {
    out(
      `${s.green("✓")} No local changes since that deploy (checksum ${st.workspace_checksum.slice(0, 12)})`,
    );
  } else {
    for (const p of st.added) out(`  ${s.green("+")} ${p}`);
    for (const p of st.modified) out(`  ${s.yellow("~")} ${p}`);
    for (const p of st.deleted) out(`  ${s.red("-")} ${p}`);
    if (last) {
      out(
        `${st.added.length} added, ${st.modified.length} modified, ${st.deleted.length} deleted since that deploy; run \`caxton deploy\``,
      );
    }
  }
  if (st.not_checked) {
    const why =
      st.not_checked.code === "OFFLINE" ? "offline" : `could not ask the server: ${st.not_checked.message}`;
    if (last) out(s.dim(`(${why}; not checked whether the server still runs #${last.id})`));
    else out(s.dim(`(${why})`));
    return;
  }
  const live = st.live;
  if (!st.drift) {
    if (live) out(`${s.green("✓")} The server still runs #${live.deployment_id}, your last deploy.`);
    else out("Nothing is deployed on the server yet.");
    return;
  }
  if (!live) {
    out(`${s.red("!")} Drift: the server runs nothing now (its data was reset), not your #${last?.id}.`);
    return;
  }
  const what = [live.kind, live.deployed_by ? `by ${live.deployed_by}` : null, `at ${live.time}`]
    .filter(Boolean)
    .join(", ");
  out(
    `${s.red("!")} Drift: the server runs #${live.deployment_id} (${what}; checksum ${live.checksum.slice(0, 12)})${last ? `, not your #${last.id}` : ", not a deploy from here"}.`,
  );
  out("  `caxton diff` shows how it differs from this workspace; `caxton pull` brings its files here.");
}

function ago(when: Date): string {
  const s = Math.max(0, Math.round((Date.now() - when.getTime()) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}
