/** util.parseArgs with our usage errors: unknown flags and missing values are E_USAGE (exit 2). */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { CaxtonError } from "../errors/caxton-error.js";

export function parseCommandArgs<T extends NonNullable<ParseArgsConfig["options"]>>(
  argv: string[],
  options: T,
  usage: string,
) {
  try {
    return parseArgs({
      args: argv,
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new CaxtonError("E_USAGE", (err as Error).message, { hint: usage.split("\n")[0] });
  }
}
