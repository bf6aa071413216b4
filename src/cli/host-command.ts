/**
 * The monitor's side of a command it runs for a client (client/hosted-command.ts): the command runs in this
 * process exactly as `caxton` would run it (run-cli.ts, the same parser, output and exit codes), with the
 * client's arguments, working folder, environment and terminal. Those are process-wide in Node (cwd, env,
 * process.stdout/stderr), so commands run one at a time and each has them for its duration only; the
 * monitor's own work (answering "what changed") never reads them.
 */
import { Writable } from "node:stream";
import {
  hostable,
  hostedBuild,
  type CommandHost,
  type HostedTerminal,
  type RunRequest,
} from "../client/hosted-command.js";
import { keepLocalStatesOpen } from "../client/open-local-state.js";
import { hostedSession } from "./hosted-session.js";
import { CaxtonError } from "../errors/caxton-error.js";
import { reportError, runCli } from "./run-cli.js";

/** The host the monitor serves requests with; commands queue behind one another. */
export function commandHost(): CommandHost {
  const build = hostedBuild(); // this process's build, taken now: the files may be replaced later
  keepLocalStatesOpen();
  let queue: Promise<unknown> = Promise.resolve();
  return {
    declines(request) {
      if (request.build !== build) return "the monitor runs another build of caxton";
      if (!hostable(request.argv)) return "not a command the monitor runs";
      return null;
    },
    run(request, terminal) {
      const run = queue.then(() => runAs(request, terminal));
      queue = run.catch(() => undefined);
      return run;
    },
  };
}

/** The command's exit code; never a rejection (run-cli.ts reports what goes wrong to the client). */
async function runAs(request: RunRequest, terminal: HostedTerminal): Promise<number> {
  const saved = {
    cwd: ownFolder(),
    env: process.env,
    stdout: Object.getOwnPropertyDescriptor(process, "stdout"),
    stderr: Object.getOwnPropertyDescriptor(process, "stderr"),
  };
  process.env = { ...request.env };
  const stdout = clientStream((text) => terminal.out(text), request.tty.stdout, request.tty.columns);
  const stderr = clientStream((text) => terminal.err(text), request.tty.stderr, request.tty.columns);
  Object.defineProperty(process, "stdout", { configurable: true, enumerable: true, get: () => stdout });
  Object.defineProperty(process, "stderr", { configurable: true, enumerable: true, get: () => stderr });
  hostedSession.terminal = terminal;
  try {
    try {
      process.chdir(request.cwd);
    } catch {
      const gone = new CaxtonError("E_WORKSPACE", `the working folder ${request.cwd} is not there`);
      return reportError(gone, request.argv.includes("--json"));
    }
    return await runCli(request.argv);
  } finally {
    hostedSession.terminal = null;
    if (saved.stdout) Object.defineProperty(process, "stdout", saved.stdout);
    if (saved.stderr) Object.defineProperty(process, "stderr", saved.stderr);
    process.env = saved.env;
    process.chdir(saved.cwd);
  }
}

/** The monitor's own working folder ("/" since it starts there; "/" again if it went away). */
function ownFolder(): string {
  try {
    return process.cwd();
  } catch {
    return "/";
  }
}

/** A stream standing for one of the client's: what is written goes to the client as it is written. */
function clientStream(
  send: (text: string) => void,
  isTTY: boolean,
  columns: number | null,
): NodeJS.WriteStream {
  const stream = new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, callback) {
      send(typeof chunk === "string" ? chunk : chunk.toString("utf8"));
      callback();
    },
  });
  return Object.assign(stream, { isTTY, columns: columns ?? 80, rows: 24 }) as unknown as NodeJS.WriteStream;
}
