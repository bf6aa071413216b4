/**
 * Validates a workspace's configuration files and returns every problem at once (errors block a deploy,
 * warnings do not). Input is the files' contents keyed by workspace path; files that are not configuration
 * are ignored, so callers may pass only the `*.toml` files.
 *
 * Built from the same two steps as the server's cache (config-cache.ts): analyzeFile per file, then
 * crossCheck over the facts, so the CLI and the server apply one set of rules.
 */
import type { Diagnostic } from "../errors/caxton-error.js";
import { analyzeFile } from "./analyze-file.js";
import { crossCheck } from "./cross-check.js";
import { isConfigPath } from "./file-kind.js";

export interface SourceFile {
  path: string;
  content: Uint8Array;
}

export { isConfigPath };

export function validateWorkspace(files: Iterable<SourceFile>): Diagnostic[] {
  const analyses = [];
  for (const file of files) {
    if (!isConfigPath(file.path)) continue;
    analyses.push(analyzeFile(file.path, file.content));
  }
  return sortDiagnostics([...analyses.flatMap((a) => a.diagnostics), ...crossCheck(analyses)]);
}

/** The problems of one file on its own (no cross-file rules). */
export function validateTomlFile(file: SourceFile): Diagnostic[] {
  return analyzeFile(file.path, file.content).diagnostics;
}

/** Sorts in place by path, line, column (stable: equal positions keep their order) and returns the list. */
export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return list.sort(
    (a, b) =>
      (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0),
  );
}

export { formatDiagnostic } from "../errors/format-diagnostic.js";
