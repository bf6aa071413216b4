/** `caxton deploy [DIR] [--server URL] [--dry-run] [--json]` (loaded by deploy.ts when it runs) */
import { deployWorkspace, type DeployFailure, type DeployOutcome } from "../../client/deploy-workspace.js";
import { withLocalState } from "../../client/open-local-state.js";
import { stateProblem } from "../../client/state-file-error.js";
import { printNotice } from "../print-error.js";
import type { LocalState } from "../../client/local-state.js";
import { CaxtonError } from "../../errors/caxton-error.js";
import { formatDiagnostic } from "../../errors/format-diagnostic.js";
import { formatBytes, formatMs } from "../format-bytes.js";
import { parseCommand } from "../parse-args.js";
import { writeJson } from "../write-json.js";
import { COMMANDS } from "../command-table.js";
import { connectionFrom } from "../connection-flags.js";
import { progressRenderer } from "../progress.js";
import { canAsk, confirm } from "../confirm.js";
import { deletionLines } from "../deletion-summary.js";
import { ReportedFailure, type FailureFigures } from "../reported-failure.js";
import { breakingLines, planJson, planLines } from "../agent-plan-lines.js";
import { requiresAllowBreaking, resolveServer, resolveWorkspace } from "../resolve-target.js";
import { style } from "../style.js";
import { serverLabel } from "../../protocol/workspace-name.js";

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand("deploy", COMMANDS.deploy, argv);
  const workspace = resolveWorkspace(positionals[0]);
  const server = resolveServer(values.server, workspace, values.workspace);
  if (values.watch || values.poll)
    return withLocalState((state) => watch(values, workspace, server, state), printNotice);
  const guardBreaking = requiresAllowBreaking(workspace) && !values["allow-breaking"];
  const progress = progressRenderer(!values.json && process.stderr.isTTY === true);
  try {
    const attempt = await withLocalState(async (state) => {
      const request = {
        workspace,
        server,
        state,
        dryRun: values["dry-run"] ?? false,
        force: values.force ?? false,
        guardDeletions: !values.yes,
        guardBreaking,
        connection: connectionFrom(values, server),
        ...(values.as ? { deployedBy: values.as } : {}),
        ...(values.message ? { message: values.message } : {}),
        ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
      };
      let a = await deployWorkspace(request);
      // a deletion the guard stopped: a person at a terminal may confirm it; a script needs --yes
      if (!a.ok && a.error.code === "E_MASS_DELETION" && canAsk()) {
        progress.done();
        for (const line of deletionLines(a.error.detail)) process.stderr.write(`${line}\n`);
        if (await confirm(`Deploy ${workspace} anyway, deleting these from ${serverLabel(server)}?`))
          a = await deployWorkspace({ ...request, guardDeletions: false });
      }
      // a breaking plan the workspace's policy stopped: the same, with --allow-breaking for scripts
      if (!a.ok && a.error.code === "E_BREAKING_CHANGE" && canAsk()) {
        progress.done();
        for (const line of breakingLines(a.error.detail)) process.stderr.write(`${line}\n`);
        if (await confirm(`Deploy ${workspace} to ${serverLabel(server)} with these breaking changes?`))
          a = await deployWorkspace({ ...request, guardDeletions: false, guardBreaking: false });
      }
      if (!a.ok && stateProblem(a.error) === "damaged") throw a.error; // rebuilt, and run again once
      return a;
    }, printNotice);
    progress.done();
    if (!attempt.ok) throw new ReportedFailure(attempt.error, failureFigures(attempt));
    const outcome = attempt.outcome;
    if (values.json) writeJson(toJson(outcome));
    else
      printHuman(
        outcome,
        workspace,
        server,
        values.quiet ? 0 : values.verbose ? Infinity : LISTED,
        guardBreaking,
      );
    return 0;
  } finally {
    progress.done();
  }
}

/** What a failed deploy reports beside its error (with --json): its round trips, bytes and time. */
function failureFigures(f: DeployFailure): FailureFigures {
  if (!f.wire) return {};
  return {
    round_trips: f.wire.roundTrips,
    bytes_sent: f.wire.bytesSent,
    bytes_received: f.wire.bytesReceived,
    duration_ms: f.duration_ms,
  };
}

/** `--watch`: the loop lives in client/watch-loop.ts; this wires it to signals and the output. */
async function watch(
  values: Parameters<typeof connectionFrom>[0] & {
    json?: boolean;
    "dry-run"?: boolean;
    force?: boolean;
    yes?: boolean;
    as?: string;
    message?: string;
    poll?: boolean;
    "poll-interval"?: string;
  },
  workspace: string,
  server: string,
  state: LocalState,
): Promise<number> {
  if (values.json || values["dry-run"]) {
    throw new CaxtonError("E_USAGE", `--watch does not combine with --${values.json ? "json" : "dry-run"}`);
  }
  const { runWatchLoop } = await import("../../client/watch-loop.js");
  const { renderWatchEvent } = await import("../render-watch-event.js");
  const stop = new AbortController();
  const onSignal = (): void => stop.abort(); // the deploy in flight finishes first
  process.on("SIGINT", onSignal).on("SIGTERM", onSignal);
  try {
    await runWatchLoop({
      workspace,
      server,
      state,
      connection: connectionFrom(values, server),
      force: values.force ?? false,
      guardDeletions: !values.yes,
      pollMs: values.poll ? pollInterval(values["poll-interval"]) : null,
      signal: stop.signal,
      onEvent: (event) => renderWatchEvent(event, workspace),
      ...(values.as ? { deployedBy: values.as } : {}),
      ...(values.message ? { message: values.message } : {}),
    });
    return 0;
  } finally {
    process.off("SIGINT", onSignal).off("SIGTERM", onSignal);
  }
}

function pollInterval(raw: string | undefined): number {
  const ms = raw === undefined ? 1000 : Number(raw);
  if (!Number.isInteger(ms) || ms < 50 || ms > 3_600_000) {
    throw new CaxtonError("E_USAGE", `--poll-interval must be a whole number of ms from 50 to 3600000`);
  }
  return ms;
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

/** changed files listed by default; --verbose lists all, --quiet none */
const LISTED = 20;

function printHuman(
  o: DeployOutcome,
  workspace: string,
  server: string,
  listed: number,
  guardBreaking: boolean,
): void {
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
      `${s.green("✓")} Up to date: ${serverLabel(server)} already runs this workspace (deployment #${r.deployment_id}, ${short(r.deployed_checksum)}) · ${formatMs(o.duration_ms)}, ${trips}`,
    );
    return;
  }
  if (listed > 0) out(`${r.dry_run ? "Would deploy" : "Deploying"} ${workspace} → ${serverLabel(server)}`);
  const shown = o.files.slice(0, listed);
  const width = Math.min(60, Math.max(0, ...shown.map((f) => f.path.length)));
  for (const f of shown) {
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
  if (listed > 0 && o.files.length > shown.length) {
    out(
      s.dim(
        `  … and ${(o.files.length - shown.length).toLocaleString("en-US")} more (--verbose lists every file)`,
      ),
    );
  }
  // --quiet: the one summary line only (the plan is in --json, log and show)
  if (r.plan && listed > 0) for (const line of planLines(r.plan, s)) out(line);
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
