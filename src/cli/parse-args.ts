/**
 * util.parseArgs with our usage errors: unknown flags and missing values are E_USAGE (exit 2). `--help`
 * prints the command's usage and ends the command through `HelpShown`, which main.ts turns into exit 0,
 * so no command repeats the check.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { CaxtonError } from "../errors/caxton-error.js";

export function parseCommandArgs<T extends NonNullable<ParseArgsConfig["options"]>>(
  argv: string[],
  options: T,
  usage: string,
) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new CaxtonError("E_USAGE", (err as Error).message, { hint: usage.split("\n")[0] });
  }
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(usage);
    throw new HelpShown();
  }
  return parsed;
}

/** Thrown after `--help` printed the usage: the command is done, successfully. */
export class HelpShown extends Error {}
