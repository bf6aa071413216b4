/**
 * Validates a workspace's configuration files and returns every problem at once (errors block a deploy,
 * warnings do not). Input is the files' contents keyed by workspace path; files that are not configuration
 * are ignored, so callers may pass only the `*.toml` files.
 */
import { parse, TomlError } from "smol-toml";
import type { Diagnostic } from "../errors/caxton-error.js";

export interface SourceFile {
  path: string;
  content: Uint8Array;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

export function isConfigPath(path: string): boolean {
  return path.endsWith(".toml");
}

export function validateWorkspace(files: Iterable<SourceFile>): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const file of files) {
    if (!isConfigPath(file.path)) continue;
    diagnostics.push(...validateTomlFile(file));
  }
  return sortDiagnostics(diagnostics);
}

export function validateTomlFile(file: SourceFile): Diagnostic[] {
  let text: string;
  try {
    text = utf8.decode(file.content);
  } catch {
    return [diag(file.path, 1, 1, "E_TOML_ENCODING", "file is not valid UTF-8")];
  }
  try {
    parse(text);
    return [];
  } catch (err) {
    if (err instanceof TomlError) {
      const firstLine = err.message.split("\n")[0] ?? "syntax error";
      const message = firstLine.replace(/^Invalid TOML document: /, "");
      return [diag(file.path, err.line, err.column, "E_TOML_SYNTAX", `invalid TOML: ${message}`)];
    }
    throw err;
  }
}

export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return list.sort(
    (a, b) =>
      (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0),
  );
}

function diag(path: string, line: number, column: number, code: string, message: string): Diagnostic {
  return { path, line, column, severity: "error", code, message, suggestion: null };
}

/** `path:line:col: severity: message`, the form compilers use. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line === null ? d.path : `${d.path}:${d.line}:${d.column ?? 1}`;
  const text = `${where}: ${d.severity}: ${d.message}`;
  return d.suggestion ? `${text}\n  help: ${d.suggestion}` : text;
}
