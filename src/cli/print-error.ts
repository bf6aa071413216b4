/** Renders a CaxtonError for a person (stderr) or as one JSON object (stdout, with --json). */
import type { CaxtonError } from "../errors/caxton-error.js";
import { formatDiagnostic } from "../errors/format-diagnostic.js";
import { breakingLines } from "./agent-plan-lines.js";
import { deletionLines } from "./deletion-summary.js";
import type { FailureFigures } from "./reported-failure.js";
import { style } from "./style.js";
import { writeJson } from "./write-json.js";

export function printError(error: CaxtonError, json: boolean, figures: FailureFigures = {}): void {
  const validation = error.code === "E_VALIDATION" ? error.detail : undefined;
  const errors = validation?.errors ?? [];
  const warnings = validation?.warnings ?? [];
  const conflicts = (error.code === "E_CONFLICT" ? error.detail?.conflicts : undefined) ?? [];
  if (json) {
    const out = {
      success: false,
      error: { code: error.code, message: error.message, hint: error.hint ?? null },
      errors: errors.map(({ path, line, column, message, code, severity, suggestion }) => ({
        path,
        line,
        column,
        message,
        code,
        severity,
        suggestion,
      })),
      warnings,
      ...(error.code === "E_CONFLICT" && error.detail?.conflicts ? { conflicts } : {}),
      ...(error.code === "E_MASS_DELETION" ? { deletion: error.detail } : {}),
      ...(error.code === "E_BREAKING_CHANGE" ? { plan: error.detail?.plan } : {}),
      ...figures,
    };
    writeJson(out);
    return;
  }
  const s = style(process.stderr);
  for (const d of [...errors, ...warnings])
    process.stderr.write(`${colorDiagnostic(formatDiagnostic(d), s)}\n`);
  for (const c of conflicts) {
    process.stderr.write(
      `${c.path}: changed on the server by ${c.changed_by ?? "another deploy"} at ${c.time} (deployment #${c.deployment_id})\n`,
    );
  }
  if (error.code === "E_MASS_DELETION") {
    for (const line of deletionLines(error.detail)) process.stderr.write(`${line}\n`);
  }
  if (error.code === "E_BREAKING_CHANGE") {
    for (const line of breakingLines(error.detail)) process.stderr.write(`${line}\n`);
  }
  process.stderr.write(`${s.red("error")}: ${error.message}\n`);
  if (error.hint) process.stderr.write(`${s.dim("hint")}: ${error.hint}\n`);
}

function colorDiagnostic(text: string, s: ReturnType<typeof style>): string {
  return text
    .replace(": error: ", `: ${s.red("error")}: `)
    .replace(": warning: ", `: ${s.yellow("warning")}: `);
}

/** One line of note on stderr (something was repaired on the way; the command goes on). */
export function printNotice(line: string): void {
  process.stderr.write(`${style(process.stderr).yellow("note")}: ${line}\n`);
}
