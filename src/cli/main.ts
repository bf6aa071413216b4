/**
 * The entry point: dispatches to a command, and is the one place that prints errors and picks exit codes:
 * 0 success (also "nothing to do"), 1 deployment rejected (nothing applied), 2 usage or workspace error,
 * 3 server unreachable or protocol error.
 */
import { CaxtonError, isCaxtonError } from "../errors/caxton-error.js";
import { VERSION } from "../version.js";
import { printError } from "./print-error.js";
import { HelpShown } from "./parse-args.js";
import { ReportedFailure } from "./reported-failure.js";

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  init: {
    summary: "create an example workspace",
    load: async () => (await import("./commands/init.js")).run,
  },
  deploy: {
    summary: "deploy a workspace to a server",
    load: async () => (await import("./commands/deploy.js")).run,
  },
  status: {
    summary: "what changed since the last deploy (offline)",
    load: async () => (await import("./commands/status.js")).run,
  },
  validate: {
    summary: "check a workspace offline, as the server would",
    load: async () => (await import("./commands/validate.js")).run,
  },
  agents: {
    summary: "list the agents that are live",
    load: async () => (await import("./commands/agents.js")).run,
  },
  log: {
    summary: "the server's deployment history",
    load: async () => (await import("./commands/log.js")).run,
  },
  rollback: {
    summary: "make an earlier deployment live again",
    load: async () => (await import("./commands/rollback.js")).run,
  },
  diff: {
    summary: "what a deploy would change, with diffs",
    load: async () => (await import("./commands/diff.js")).run,
  },
  token: {
    summary: "create a bearer token for the server",
    load: async () => (await import("./commands/token.js")).run,
  },
  serve: {
    summary: "run the deployment server",
    load: async () => (await import("./commands/serve.js")).run,
  },
};

export const USAGE = `caxton ${VERSION} — incremental, atomic deployment of Caxton agent workspaces

Usage: caxton <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join("\n")}

Run \`caxton <command> --help\` for a command's options.
Exit codes: 0 success, 1 deployment rejected (nothing applied), 2 usage or workspace error,
            3 server unreachable or protocol error.
`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  if (name === "--version" || name === "-V") {
    process.stdout.write(`caxton ${VERSION}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) throw new CaxtonError("E_USAGE", `unknown command: ${name}`);
  return (await command.load())(rest);
}

const json = process.argv.includes("--json");
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof HelpShown) {
      process.exitCode = 0;
      return;
    }
    const reported = err instanceof ReportedFailure ? err : null;
    const error = reported
      ? reported.error
      : isCaxtonError(err)
        ? err
        : new CaxtonError("E_INTERNAL", String((err as Error)?.stack ?? err), {
            hint: "this is a bug in caxton; please report it with the message above",
          });
    printError(error, json, reported?.figures);
    process.exitCode = error.exitCode;
  },
);
