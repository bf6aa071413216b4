/**
 * `deploy --watch` output: one line on stdout per deploy (time, what changed, round trips, ms); what a
 * rejected deploy found goes to stderr first, as `path:line:col: error: …`, through the one error renderer.
 */
import type { WatchCause, WatchEvent } from "../client/watch-loop.js";
import { formatMs } from "./format-bytes.js";
import { printError } from "./print-error.js";
import { style } from "./style.js";

/** Changed paths named on a line; the rest are counted. */
const NAMED_PATHS = 3;

export function renderWatchEvent(event: WatchEvent, workspace: string): void {
  const s = style(process.stdout);
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  switch (event.kind) {
    case "watching":
      if (event.note) process.stderr.write(`${event.note}\n`);
      process.stderr.write(
        `${event.polling ? "polling" : "watching"} ${workspace} for changes (Ctrl-C to stop)\n`,
      );
      return;
    case "deployed": {
      const { outcome } = event;
      const r = outcome.result;
      const trips = `${outcome.wire.roundTrips} round trip${outcome.wire.roundTrips === 1 ? "" : "s"}`;
      const tail = `${trips} · ${formatMs(outcome.duration_ms)}${scanNote(event.cause)}`;
      if (r.up_to_date) {
        out(`${clock(event.at)} ${s.green("✓")} up to date (#${r.deployment_id}) · ${tail}`);
        return;
      }
      const marks = [
        ...r.added.map((p) => `+${p}`),
        ...r.modified.map((p) => `~${p}`),
        ...r.deleted.map((p) => `-${p}`),
      ];
      out(`${clock(event.at)} ${s.green("✓")} deployed #${r.deployment_id} ${named(marks)} · ${tail}`);
      return;
    }
    case "failed": {
      printError(event.error, false);
      const what = event.cause.full ? "" : ` ${named(event.cause.paths)}`;
      out(
        `${clock(event.at)} ${s.red("✗")} not deployed${what}: ${event.error.code}; nothing applied, watching for the next save`,
      );
      return;
    }
  }
}

function named(paths: string[]): string {
  const shown = paths.slice(0, NAMED_PATHS).join(" ");
  return paths.length > NAMED_PATHS ? `${shown} (+${paths.length - NAMED_PATHS} more)` : shown;
}

function scanNote(cause: WatchCause): string {
  return cause.full && cause.reason !== "start" ? ` · full scan (${cause.reason})` : "";
}

function clock(at: Date): string {
  const two = (n: number): string => String(n).padStart(2, "0");
  return `${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}`;
}
