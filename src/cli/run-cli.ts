/**
 * Runs one command line to its exit code: dispatches to the command, and is the one place that turns a
 * thrown error into what the user sees (print-error.ts) and an exit code (the table in
 * src/errors/error-codes.ts; docs/cli.md). Commands, flags and help come from command-table.ts. The entry
 * (main.ts) calls it in this process; the file-system monitor calls it for a command it runs on a
 * client's behalf (host-command.ts).
 */
import { CaxtonError, isCaxtonError } from "../errors/caxton-error.js";
import { closestMatch } from "../config/did-you-mean.js";
import { VERSION } from "../version.js";
import { printError } from "./print-error.js";
import { HelpShown } from "./parse-args.js";
import { COMMAND_NAMES, COMMANDS, isCommandName, type CommandName } from "./command-table.js";
import { commandHelp, overallHelp } from "./command-help.js";
import { ReportedFailure } from "./reported-failure.js";
// deploy and status in this chunk itself: their code is what a no-change or one-file deploy runs
import { run as deploy } from "./commands/deploy.js";
import { run as status } from "./commands/status.js";

type Command = (argv: string[]) => Promise<number>;

/** Each other command module is imported only when that command runs, to keep start-up lean. */
const LOADERS: Record<Exclude<CommandName, "help">, () => Promise<Command>> = {
  init: async () => (await import("./commands/init.js")).run,
  deploy: () => Promise.resolve(deploy),
  status: () => Promise.resolve(status),
  validate: async () => (await import("./commands/validate.js")).run,
  diff: async () => (await import("./commands/diff.js")).run,
  pull: async () => (await import("./commands/pull.js")).run,
  agents: async () => (await import("./commands/agents.js")).run,
  workspaces: async () => (await import("./commands/workspaces.js")).run,
  log: async () => (await import("./commands/log.js")).run,
  show: async () => (await import("./commands/show.js")).run,
  rollback: async () => (await import("./commands/rollback.js")).run,
  token: async () => (await import("./commands/token.js")).run,
  monitor: async () => (await import("./commands/monitor.js")).run,
  serve: async () => (await import("./commands/serve.js")).run,
  completion: async () => (await import("./commands/completion.js")).run,
};

/** The command line's exit code; whatever went wrong has been printed. */
export async function runCli(argv: string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (err) {
    return reportError(err, argv.includes("--json"));
  }
}

/** Prints what went wrong (one sentence and a hint, or one JSON object) and gives its exit code. */
export function reportError(err: unknown, json: boolean): number {
  if (err instanceof HelpShown) return 0;
  const reported = err instanceof ReportedFailure ? err : null;
  const error = reported
    ? reported.error
    : isCaxtonError(err)
      ? err
      : new CaxtonError("E_INTERNAL", String((err as Error)?.stack ?? err), {
          hint: "this is a bug in caxton; please report it with the message above",
        });
  printError(error, json, reported?.figures);
  return error.exitCode;
}

async function dispatch(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h") {
    process.stdout.write(overallHelp());
    return 0;
  }
  if (name === "--version" || name === "-V") {
    process.stdout.write(`caxton ${VERSION}\n`);
    return 0;
  }
  if (name === "help") {
    const [topic, ...extra] = rest;
    if (extra.length > 0)
      throw new CaxtonError("E_USAGE", `caxton help takes one command, got ${rest.join(" ")}`);
    if (topic === undefined) process.stdout.write(overallHelp());
    else process.stdout.write(commandHelp(topic, COMMANDS[known(topic)]));
    return 0;
  }
  const command = known(name);
  if (command === "help") return 0;
  return (await LOADERS[command]())(rest);
}

function known(name: string): CommandName {
  if (isCommandName(name)) return name;
  const close = closestMatch(name, COMMAND_NAMES);
  throw new CaxtonError("E_USAGE", `caxton has no command ${JSON.stringify(name)}`, {
    hint: close ? `did you mean \`caxton ${close}\`?` : "run `caxton help` for the list of commands",
  });
}
