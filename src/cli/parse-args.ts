/**
 * Parses a command's arguments by its entry in command-table.ts, with errors in our words (exit 2): an
 * unknown flag gets the closest real one ("did you mean --dry-run?"), a missing value names the flag's
 * placeholder, extra positional arguments are refused. `--help` prints the command's help and ends the
 * command through `HelpShown`, which main.ts turns into exit 0, so no command repeats the check.
 */
import { parseArgs } from "node:util";
import { closestMatch } from "../config/did-you-mean.js";
import { CaxtonError } from "../errors/caxton-error.js";
import { COMMON_FLAGS, type CommandSpec } from "./command-table.js";
import { commandHelp } from "./command-help.js";

export function parseCommand<const S extends CommandSpec>(name: string, spec: S, argv: string[]) {
  const options = { ...spec.flags, ...COMMON_FLAGS } as S["flags"] & typeof COMMON_FLAGS;
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch {
    throw usageError(name, spec, argv);
  }
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(commandHelp(name, spec));
    throw new HelpShown();
  }
  if (parsed.positionals.length > spec.maxArgs) {
    const extra = parsed.positionals.slice(spec.maxArgs);
    const takes =
      spec.maxArgs === 0
        ? "takes no arguments"
        : `takes at most ${spec.maxArgs === 1 ? "one argument" : `${spec.maxArgs} arguments`} (${spec.args})`;
    throw new CaxtonError("E_USAGE", `caxton ${name} ${takes}; unexpected: ${extra.join(" ")}`, {
      hint: synopsis(name, spec),
    });
  }
  return parsed;
}

/** The first problem in argv, in our words (parseArgs's own message names internals like `--`). */
function usageError(name: string, spec: CommandSpec, argv: string[]): CaxtonError {
  const flags = { ...spec.flags, ...COMMON_FLAGS } as Record<string, CommandSpec["flags"][string]>;
  const { tokens } = parseArgs({
    args: argv,
    options: flags,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  for (const t of tokens) {
    if (t.kind !== "option") continue;
    const flag = flags[t.name];
    const shown = t.rawName;
    if (!flag) {
      const close = closestMatch(t.name, Object.keys(flags));
      return new CaxtonError("E_USAGE", `caxton ${name} has no flag ${shown}`, {
        hint: close
          ? `did you mean --${close}? (caxton ${name} --help lists them all)`
          : `run caxton ${name} --help`,
      });
    }
    if (flag.type === "string" && t.value === undefined) {
      return new CaxtonError("E_USAGE", `${shown} needs a value: ${shown} ${flag.value ?? "VALUE"}`, {
        hint: synopsis(name, spec),
      });
    }
    if (flag.type === "boolean" && t.inlineValue) {
      return new CaxtonError("E_USAGE", `${shown} takes no value (write ${shown}, not ${shown}=${t.value})`, {
        hint: synopsis(name, spec),
      });
    }
  }
  return new CaxtonError("E_USAGE", `cannot read the arguments of caxton ${name}`, {
    hint: synopsis(name, spec),
  });
}

function synopsis(name: string, spec: CommandSpec): string {
  return `usage: caxton ${name}${spec.args ? ` ${spec.args}` : ""}${Object.keys(spec.flags).length ? " [options]" : ""}; caxton ${name} --help for more`;
}

/** Thrown after `--help` printed the usage: the command is done, successfully. */
export class HelpShown extends Error {}
