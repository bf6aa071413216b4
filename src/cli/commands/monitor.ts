/**
 * `caxton monitor start|stop|status [DIR]`: the workspace's file-system monitor, which lets deploy, status,
 * validate and diff stat only what changed instead of walking the workspace (client/fs-monitor-daemon.ts).
 * `run` is what `start` launches in the background.
 */
import { fileURLToPath } from "node:url";
import { FsMonitor, serveMonitor } from "../../client/fs-monitor-daemon.js";
import {
  monitorPlace,
  monitorStatus,
  preparePlace,
  startMonitor,
  stopMonitor,
} from "../../client/fs-monitor-client.js";
import { stateDir } from "../../client/state-dir.js";
import { CaxtonError } from "../../errors/caxton-error.js";
import { COMMANDS } from "../command-table.js";
import { parseCommand } from "../parse-args.js";
import { resolveWorkspace } from "../resolve-target.js";
import { writeJson } from "../write-json.js";

/** `run` is not offered: it is what `start` launches. */
const SUBCOMMANDS: readonly string[] = [...(COMMANDS.monitor.subcommands ?? []), "run"];

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand("monitor", COMMANDS.monitor, argv);
  const [sub, dir] = positionals;
  if (sub === undefined || !SUBCOMMANDS.includes(sub))
    throw new CaxtonError("E_USAGE", `unknown monitor subcommand ${JSON.stringify(sub ?? "")}`, {
      hint: "usage: caxton monitor start|stop|status [DIR]",
    });
  const workspace = resolveWorkspace(dir);
  const place = monitorPlace(stateDir(), workspace);
  if (sub === "run") {
    preparePlace(place);
    const monitor = new FsMonitor(place.root, place.cookies);
    const { commandHost } = await import("../host-command.js");
    await serveMonitor(monitor, place.socket, commandHost());
    return 0;
  }
  if (sub === "start") {
    const s = await startMonitor(place, { node: process.execPath, script: cliScript() });
    if (values.json) writeJson({ running: true, ...s });
    else process.stdout.write(`monitoring ${s.root} (pid ${s.pid}, ${s.folders} folders)\n`);
    return 0;
  }
  if (sub === "stop") {
    const stopped = await stopMonitor(place);
    if (values.json) writeJson({ stopped });
    else
      process.stdout.write(
        stopped ? `stopped the monitor of ${place.root}\n` : `no monitor runs for ${place.root}\n`,
      );
    return 0;
  }
  const s = await monitorStatus(place);
  if (values.json) writeJson(s ? { running: true, ...s } : { running: false, root: place.root });
  else if (!s) process.stdout.write(`no monitor runs for ${place.root} (start one: caxton monitor start)\n`);
  else {
    process.stdout.write(
      `monitoring ${s.root} since ${s.started} (pid ${s.pid}, ${s.folders} folders, ${s.changes} changes seen)\n`,
    );
    if (s.degraded) process.stdout.write(`degraded: ${s.degraded}; every scan walks the workspace\n`);
  }
  return 0;
}

/** The CLI's own entry script, to launch the monitor with the same code. */
function cliScript(): string {
  return process.argv[1] ?? fileURLToPath(new URL("../../../bin/caxton", import.meta.url));
}
