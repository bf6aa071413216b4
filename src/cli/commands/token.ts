/**
 * `caxton token create [FILE] [--workspace NAME [--role read|deploy]] [--append]`: a fresh random token
 * (256 bits), written with mode 0600 as one line of the token file format (protocol/token-grants.ts):
 * the secret alone for the admin's token, or followed by its workspace and role.
 */
import { randomBytes } from "node:crypto";
import { appendFileSync, chmodSync, writeFileSync } from "node:fs";
import { CaxtonError } from "../../errors/caxton-error.js";
import { formatTokenLine, isRole, TOKEN_ROLES } from "../../protocol/token-grants.js";
import { parseCommand } from "../parse-args.js";
import { COMMANDS } from "../command-table.js";
import { resolveWorkspaceName } from "../resolve-target.js";

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand("token", COMMANDS.token, argv);
  const [sub, file] = positionals;
  if (sub !== "create")
    throw new CaxtonError("E_USAGE", "the only token subcommand is `create`", {
      hint: "usage: caxton token create [FILE] [--workspace NAME [--role read|deploy]] [--force | --append]",
    });
  const role = values.role ?? "deploy";
  if (!isRole(role))
    throw new CaxtonError("E_USAGE", `--role takes ${TOKEN_ROLES.join(" or ")}, got ${role}`);
  if (values.role !== undefined && values.workspace === undefined)
    throw new CaxtonError("E_USAGE", "--role goes with --workspace (a token without one is the admin's)");
  if (values.force && values.append) throw new CaxtonError("E_USAGE", "--force and --append do not combine");
  // the flag only: $CAXTON_WORKSPACE must not turn an admin token into a scoped one by accident
  const workspace = values.workspace === undefined ? null : resolveWorkspaceName(values.workspace, null);
  const line = formatTokenLine({ secret: randomBytes(32).toString("base64url"), workspace, role });
  if (!file) {
    process.stdout.write(`${line}\n`);
    return 0;
  }
  try {
    if (values.append) appendFileSync(file, `${line}\n`, { mode: 0o600 });
    else writeFileSync(file, `${line}\n`, { mode: 0o600, flag: values.force ? "w" : "wx" });
    chmodSync(file, 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CaxtonError(
      "E_USAGE",
      `cannot write ${file}: ${code === "EEXIST" ? "it exists (use --force, or --append to add a line)" : code}`,
    );
  }
  const what = workspace === null ? "the admin token" : `a ${role} token for workspace ${workspace}`;
  process.stdout.write(`${values.append ? "added" : "wrote"} ${what} to ${file} (mode 0600)\n`);
  return 0;
}
