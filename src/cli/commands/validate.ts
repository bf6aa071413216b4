/** `caxton validate [DIR] [--json]`: the server's checks, locally and offline. */
import { scanLocal } from "../../client/scan-with-monitor.js";
import { readFileSync } from "node:fs";
import { isConfigPath, validateWorkspace, formatDiagnostic } from "../../config/validate-workspace.js";
import { withLocalState } from "../../client/open-local-state.js";
import { printNotice } from "../print-error.js";
import { formatMs } from "../format-bytes.js";
import { parseCommand } from "../parse-args.js";
import { writeJson } from "../write-json.js";
import { COMMANDS } from "../command-table.js";
import { resolveWorkspace } from "../resolve-target.js";
import { style } from "../style.js";

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand("validate", COMMANDS.validate, argv);
  const t0 = performance.now();
  const workspace = resolveWorkspace(positionals[0]);
  const scan = await withLocalState(
    async (state) => scanLocal(workspace, state.statCache(workspace)),
    printNotice,
  );
  const files = [...scan.files.values()]
    .filter((f) => isConfigPath(f.path))
    .map((f) => ({ path: f.path, content: readFileSync(f.absPath) }));
  const diagnostics = validateWorkspace(files);
  const errors = diagnostics.filter((d) => d.severity === "error");
  const warnings = diagnostics.filter((d) => d.severity === "warning");
  if (values.json) {
    writeJson({ valid: errors.length === 0, files: files.length, errors, warnings });
    return errors.length > 0 ? 1 : 0;
  }
  const s = style(process.stdout);
  for (const d of diagnostics) {
    process.stdout.write(
      `${formatDiagnostic(d)
        .replace(": error: ", `: ${s.red("error")}: `)
        .replace(": warning: ", `: ${s.yellow("warning")}: `)}\n`,
    );
  }
  const took = formatMs(performance.now() - t0);
  if (errors.length > 0) {
    process.stdout.write(
      `${s.red("✗")} ${errors.length} error(s), ${warnings.length} warning(s) in ${files.length} configuration files (${took})\n`,
    );
    return 1;
  }
  process.stdout.write(
    `${s.green("✓")} ${files.length} configuration files valid${warnings.length ? `, ${warnings.length} warning(s)` : ""} (${took})\n`,
  );
  return 0;
}
