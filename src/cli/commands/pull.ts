/** `caxton pull [PATH…]`: the server's live version of files into the workspace (client/pull-files.ts). */
import { relative, resolve, sep } from "node:path";
import { withLocalState } from "../../client/open-local-state.js";
import { printNotice } from "../print-error.js";
import { pullFiles } from "../../client/pull-files.js";
import { CaxtonError } from "../../errors/caxton-error.js";
import { parseCommand } from "../parse-args.js";
import { writeJson } from "../write-json.js";
import { COMMANDS } from "../command-table.js";
import { connectionFrom } from "../connection-flags.js";
import { resolveServer, resolveWorkspace } from "../resolve-target.js";
import { style } from "../style.js";

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand("pull", COMMANDS.pull, argv);
  const workspace = resolveWorkspace(undefined);
  const server = resolveServer(values.server, workspace, values.workspace);
  // PATHs are relative to the current folder, as git takes them; the server knows workspace paths
  const paths = positionals.map((p) => {
    const rel = relative(workspace, resolve(p));
    if (rel === ".." || rel.startsWith(`..${sep}`)) {
      throw new CaxtonError("E_USAGE", `${p} is outside the workspace ${workspace}`);
    }
    return rel.split(sep).join("/");
  });
  const r = await withLocalState(
    (state) =>
      pullFiles({
        workspace,
        server,
        state,
        connection: connectionFrom(values, server),
        paths,
        force: values.force ?? false,
      }),
    printNotice,
  );
  if (values.json) {
    writeJson(r);
    return 0;
  }
  const s = style(process.stdout);
  for (const p of r.written) process.stdout.write(`  ${s.green("↓")} ${p}\n`);
  for (const p of r.deleted) process.stdout.write(`  ${s.red("-")} ${p}\n`);
  process.stdout.write(
    r.written.length + r.deleted.length === 0
      ? `${s.green("✓")} Nothing to pull: these files match deployment #${r.deployment_id ?? "-"} on ${server}\n`
      : `${s.green("✓")} Pulled ${r.written.length} file(s), deleted ${r.deleted.length}, from deployment #${r.deployment_id} on ${server}\n`,
  );
  return 0;
}
