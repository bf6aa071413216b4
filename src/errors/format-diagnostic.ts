/**
 * `path:line:col: severity: message`, the form compilers use, with the suggestion on a `help:` line.
 * Lives with the error type (not in config/) so printing an error loads no TOML parser or schema library.
 */
import type { Diagnostic } from "./caxton-error.js";

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line === null ? d.path : `${d.path}:${d.line}:${d.column ?? 1}`;
  const text = `${where}: ${d.severity}: ${d.message}`;
  return d.suggestion ? `${text}\n  help: ${d.suggestion}` : text;
}
