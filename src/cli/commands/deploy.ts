/** `caxton deploy [DIR] [--server URL] [--dry-run] [--json]` */
import { deployWorkspace, type DeployOutcome } from "../../client/deploy-workspace.js";
import { LocalState } from "../../client/local-state.js";
import { formatDiagnostic } from "../../errors/format-diagnostic.js";
import { formatBytes, formatMs } from "../format-bytes.js";
import { parseCommandArgs } from "../parse-args.js";
import { CONNECTION_FLAGS, CONNECTION_USAGE, connectionFrom } from "../connection-flags.js";
import { progressRenderer } from "../progress.js";
import { canAsk, confirm } from "../confirm.js";
import { deletionLines } from "../deletion-summary.js";
import { ReportedFailure } from "../reported-failure.js";
import { breakingLines, planJson, planLines } from "../agent-plan-lines.js";
import { requiresAllowBreaking, resolveServer, resolveWorkspace } from "../resolve-target.js";
import { style } from "../style.js";

const USAGE = `usage: caxton deploy [DIR] [--server URL] [--dry-run] [--json] [--as NAME] [-m MESSAGE] [--yes] [--allow-breaking]

Deploys the workspace DIR (default: the workspace the current folder is in): sends only what the server lacks, and the server
validates everything and applies it atomically, or nothing at all.
  --server URL   server to deploy to (default: $CAXTON_SERVER, [deploy] server in caxton.toml,
                 else http://127.0.0.1:8080)
  --dry-run      validate against the server and show what would change; apply nothing
  --json         print one JSON object (for scripts and CI)
  --as NAME      who deploys, for the server's history (default: user@host)
  -m, --message  a note for the server's history (\`caxton log\`)
  --force        deploy even over files someone else changed on the server since your last deploy
  -y, --yes      deploy even when it deletes every agent or over half of the live files (otherwise
                 asked on a terminal, refused off one)
  --allow-breaking  deploy a plan with breaking changes in a workspace whose caxton.toml sets
                 [deploy] require_allow_breaking = true (otherwise asked on a terminal, refused off one)
${CONNECTION_USAGE}
`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      server: { type: "string" },
      ...CONNECTION_FLAGS,
      "dry-run": { type: "boolean" },
      json: { type: "boolean" },
      as: { type: "string" },
      message: { type: "string", short: "m" },
      force: { type: "boolean" },
      yes: { type: "boolean", short: "y" },
      "allow-breaking": { type: "boolean" },
    },
    USAGE,
  );
  const workspace = resolveWorkspace(positionals[0]);
  const server = resolveServer(values.server, workspace);
  const state = LocalState.open();
  const progress = progressRenderer(!values.json && process.stderr.isTTY === true);
  try {
    const request = {
      workspace,
      server,
      state,
      dryRun: values["dry-run"] ?? false,
      force: values.force ?? false,
      guardDeletions: !values.yes,
      guardBreaking: requiresAllowBreaking(workspace) && !values["allow-breaking"],
      connection: connectionFrom(values),
      ...(values.as ? { deployedBy: values.as } : {}),
      ...(values.message ? { message: values.message } : {}),
      ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
    };
    let attempt = await deployWorkspace(request);
    // a deletion the guard stopped: a person at a terminal may confirm it; a script needs --yes
    if (!attempt.ok && attempt.error.code === "E_MASS_DELETION" && canAsk()) {
      progress.done();
      for (const line of deletionLines(attempt.error.detail)) process.stderr.write(`${line}\n`);
      if (await confirm(`Deploy ${workspace} anyway, deleting these from ${server}?`))
        attempt = await deployWorkspace({ ...request, guardDeletions: false });
    }
    // a breaking plan the workspace's policy stopped: the same, with --allow-breaking for scripts
    if (!attempt.ok && attempt.error.code === "E_BREAKING_CHANGE" && canAsk()) {
      progress.done();
      for (const line of breakingLines(attempt.error.detail)) process.stderr.write(`${line}\n`);
      if (await confirm(`Deploy ${workspace} to ${server} with these breaking changes?`))
        attempt = await deployWorkspace({ ...request, guardDeletions: false, guardBreaking: false });
    }
    progress.done();
    if (!attempt.ok) {
      throw new ReportedFailure(attempt.error, {
        ...(attempt.wire
          ? {
              round_trips: attempt.wire.roundTrips,
              bytes_sent: attempt.wire.bytesSent,
              bytes_received: attempt.wire.bytesReceived,
            }
          : {}),
        ...(attempt.wire ? { duration_ms: attempt.duration_ms } : {}),
      });
    }
    const outcome = attempt.outcome;
    if (values.json)
      process.stdout.write(
        `${JSON.stringify(toJson(outcome), null, process.stdout.isTTY ? 2 : undefined)}\n`,
      );
    else printHuman(outcome, workspace, server, request.guardBreaking);
    return 0;
  } finally {
    progress.done();
    state.close();
  }
}

export function toJson(o: DeployOutcome) {
  const r = o.result;
  return {
    success: true,
    dry_run: r.dry_run,
    up_to_date: r.up_to_date,
    deployment_id: r.deployment_id,
    deployed_checksum: r.deployed_checksum,
    previous_checksum: r.previous_checksum,
    changes_applied: r.dry_run ? 0 : r.changes_applied,
    added: r.added,
    modified: r.modified,
    deleted: r.deleted,
    files: o.files.map((f) => ({
      path: f.path,
      operation: f.op,
      bytes: f.bytes,
      sent: f.sent,
    })),
    warnings: r.warnings,
    bytes_sent: o.wire.bytesSent,
    bytes_received: o.wire.bytesReceived,
    objects_sent: o.sentObjects,
    content_bytes_sent: o.sentContentBytes,
    round_trips: o.wire.roundTrips,
    duration_ms: o.duration_ms,
    phases: o.phases,
    scan: o.scan,
    timestamp: r.timestamp,
    ...planJson(r.plan),
    ...(o.confirmedAfterDrop ? { confirmed_after_drop: true } : {}),
  };
}

function printHuman(o: DeployOutcome, workspace: string, server: string, guardBreaking: boolean): void {
  const s = style(process.stdout);
  const r = o.result;
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  for (const w of r.warnings) process.stderr.write(`${formatDiagnostic(w)}\n`);
  if (o.confirmedAfterDrop) {
    process.stderr.write(
      `the connection dropped before the server answered; asked again, it runs this workspace (deployment #${r.deployment_id})\n`,
    );
  }
  const trips = `${o.wire.roundTrips} round trip${o.wire.roundTrips === 1 ? "" : "s"}`;
  if (r.up_to_date) {
    out(
      `${s.green("✓")} Up to date: ${server} already runs this workspace (deployment #${r.deployment_id}, ${short(r.deployed_checksum)}) · ${formatMs(o.duration_ms)}, ${trips}`,
    );
    return;
  }
  out(`${r.dry_run ? "Would deploy" : "Deploying"} ${workspace} → ${server}`);
  const width = Math.min(60, Math.max(0, ...o.files.map((f) => f.path.length)));
  for (const f of o.files) {
    const mark = f.op === "added" ? s.green("+") : f.op === "deleted" ? s.red("-") : s.yellow("~");
    const sent =
      f.op === "deleted"
        ? ""
        : f.sent === "delta"
          ? `${formatBytes(f.bytes)} ${s.dim("(delta)")}`
          : f.bytes > 0
            ? formatBytes(f.bytes)
            : s.dim("on server already");
    out(`  ${mark} ${f.path.padEnd(width)}  ${sent}`);
  }
  if (r.plan) for (const line of planLines(r.plan, s)) out(line);
  const counts = `${r.added.length} added, ${r.modified.length} modified, ${r.deleted.length} deleted`;
  const wire = `sent ${formatBytes(o.wire.bytesSent)} in ${trips}`;
  if (r.dry_run) {
    if (guardBreaking && r.plan?.impact === "breaking")
      out(`${s.red("breaking")}: this workspace requires --allow-breaking to deploy this plan`);
    out(
      `${s.yellow("dry run")}: ${counts}; a deploy would send ${formatBytes(o.sentContentBytes)} of content. Nothing was applied.`,
    );
    return;
  }
  out(
    `${s.green("✓")} Deployed #${r.deployment_id} (${counts}) in ${formatMs(o.duration_ms)} · ${wire} · checksum ${short(r.deployed_checksum)}`,
  );
}

function short(hash: string): string {
  return hash.slice(0, 12);
}
