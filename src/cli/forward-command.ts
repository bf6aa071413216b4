/**
 * The client's end of a command the file-system monitor runs (client/hosted-command.ts): when a monitor
 * runs for the command's workspace, the command line goes there and this process only relays. Kept lean on
 * purpose: this module and what it imports are all a forwarded command loads.
 *
 * Whenever the monitor cannot take the command (none runs, it does not answer at once, it runs another
 * build, it declines), the answer is undefined and the caller runs the command itself, so a monitor can make
 * a command faster but never stop it from running. Once the monitor has accepted, it owns the command: its
 * output is relayed as it comes, a question it asks is put to this terminal, and its exit code is this
 * process's. Ctrl-C ends this process at once; a deploy the monitor has under way finishes or fails as a
 * whole on the server, as an interrupted one does without a monitor.
 */
import { existsSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { monitorPlace } from "../client/fs-monitor-client.js";
import {
  HOSTED_COMMANDS,
  hostable,
  hostedBuild,
  type HostFrame,
  type RunRequest,
} from "../client/hosted-command.js";
import { stateDir } from "../client/state-dir.js";
import { CaxtonError } from "../errors/caxton-error.js";
import { COMMANDS, COMMON_FLAGS } from "./command-table.js";
import { askLine } from "./confirm.js";
import { resolveWorkspace } from "./resolve-target.js";

/** How long the monitor has to accept or decline before this process runs the command itself. */
const ACCEPT_TIMEOUT_MS = 2_000;

/** The command's exit code when a monitor ran it; undefined when this process should run it. */
export async function forwardToMonitor(argv: string[]): Promise<number | undefined> {
  if (!hostable(argv)) return undefined;
  let cwd: string;
  try {
    cwd = process.cwd();
  } catch {
    return undefined; // a working folder that is gone: the command, run here, says so
  }
  const workspace = workspaceOf(argv);
  if (workspace === null) return undefined; // the command itself reports a missing workspace
  let place;
  try {
    place = monitorPlace(stateDir(), workspace);
  } catch {
    return undefined;
  }
  if (!existsSync(place.socket)) return undefined;
  const request: RunRequest = {
    op: "run",
    build: hostedBuild(),
    argv,
    cwd,
    env: Object.fromEntries(
      Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
    ),
    tty: {
      stdin: process.stdin.isTTY === true,
      stdout: process.stdout.isTTY === true,
      stderr: process.stderr.isTTY === true,
      columns: process.stderr.isTTY ? (process.stderr.columns ?? null) : null,
    },
  };
  return relay(place.socket, request, place.log);
}

/**
 * The workspace folder the command names or is run in, resolved as resolve-target.ts does; null when there
 * is none (the command, run here, says so properly). Flags are skipped by their spelling, a value given as a
 * separate word (`--server URL`) with its flag. This only picks which monitor to ask: the command itself
 * parses its arguments in full wherever it runs, so a misreading here costs speed, never correctness.
 */
function workspaceOf(argv: string[]): string | null {
  const positionals: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith("-")) {
      if (!arg.includes("=") && valueFlags().has(arg)) i++;
      continue;
    }
    positionals.push(arg);
  }
  if (positionals.length > 1) return null;
  try {
    return resolveWorkspace(positionals[0]);
  } catch {
    return null;
  }
}

let valueFlagSet: ReadonlySet<string> | undefined;

/** The spellings of the hosted commands' flags that take a value, from command-table.ts. */
function valueFlags(): ReadonlySet<string> {
  valueFlagSet ??= new Set(
    HOSTED_COMMANDS.flatMap((name) =>
      Object.entries({ ...COMMANDS[name].flags, ...COMMON_FLAGS }).flatMap(([flag, spec]) =>
        spec.type === "string" ? [`--${flag}`, ...(spec.short ? [`-${spec.short}`] : [])] : [],
      ),
    ),
  );
  return valueFlagSet;
}

function relay(socketPath: string, request: RunRequest, log: string): Promise<number | undefined> {
  return new Promise((settle, fail) => {
    const conn: Socket = connect(socketPath);
    let accepted = false;
    let done = false;
    let buffered = "";
    const finish = (result: number | undefined | Error): void => {
      if (done) return;
      done = true;
      clearTimeout(acceptTimer);
      process.off("SIGINT", onSignal).off("SIGTERM", onSignal);
      conn.destroy();
      if (result instanceof Error) fail(result);
      else settle(result);
    };
    const onSignal = (): void => {
      conn.destroy();
      process.exit(130);
    };
    // no answer at once: a monitor that is stuck or busy starting; run the command here instead
    const acceptTimer = setTimeout(() => finish(undefined), ACCEPT_TIMEOUT_MS);
    conn.on("error", () => {
      if (!accepted) finish(undefined);
    });
    conn.on("close", () => {
      if (!accepted) finish(undefined);
      else
        finish(
          new CaxtonError(
            "E_MONITOR",
            "the file-system monitor that was running this command stopped before it finished",
            { detail: { log } },
          ),
        );
    });
    conn.on("connect", () => conn.write(`${JSON.stringify(request)}\n`));
    conn.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      let nl: number;
      while (!done && (nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let frame: HostFrame;
        try {
          frame = JSON.parse(line) as HostFrame;
        } catch {
          if (!accepted) finish(undefined);
          continue;
        }
        if ("declined" in frame) finish(undefined);
        else if ("accepted" in frame) {
          accepted = true;
          clearTimeout(acceptTimer);
          process.on("SIGINT", onSignal).on("SIGTERM", onSignal);
        } else if ("out" in frame) process.stdout.write(frame.out);
        else if ("err" in frame) process.stderr.write(frame.err);
        else if ("ask" in frame)
          void askLine(frame.ask).then((answer) => conn.write(`${JSON.stringify({ answer })}\n`));
        else if ("exit" in frame) {
          // what was written reaches the terminal or pipe before the exit code is given
          const code = frame.exit;
          process.stdout.write("", () => process.stderr.write("", () => finish(code)));
        }
      }
    });
  });
}
