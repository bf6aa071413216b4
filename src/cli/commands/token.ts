/** `caxton token create [FILE]`: a fresh random token (256 bits), written with mode 0600. */
import { randomBytes } from "node:crypto";
import { chmodSync, writeFileSync } from "node:fs";
import { CaxtonError } from "../../errors/caxton-error.js";
import { parseCommand } from "../parse-args.js";
import { COMMANDS } from "../command-table.js";

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand("token", COMMANDS.token, argv);
  const [sub, file] = positionals;
  if (sub !== "create")
    throw new CaxtonError("E_USAGE", "the only token subcommand is `create`", {
      hint: "usage: caxton token create [FILE] [--force]",
    });
  const token = randomBytes(32).toString("base64url");
  if (!file) {
    process.stdout.write(`${token}\n`);
    return 0;
  }
  try {
    writeFileSync(file, `${token}\n`, { mode: 0o600, flag: values.force ? "w" : "wx" });
    chmodSync(file, 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CaxtonError(
      "E_USAGE",
      `cannot write ${file}: ${code === "EEXIST" ? "it exists (use --force)" : code}`,
    );
  }
  process.stdout.write(`wrote a new token to ${file} (mode 0600)\n`);
  return 0;
}
