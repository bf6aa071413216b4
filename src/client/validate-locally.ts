/**
 * Runs the server's rules before anything is uploaded, so a broken file fails with no round trip. With a
 * base (this client deployed here before), only the config files changed since are checked file by file
 * — the unchanged ones passed the server's checks then — and the cross-file rules are left to the server,
 * which caches every file's analysis: a one-agent change on a 10,000-agent workspace reads one file here,
 * not 10,000 (~0.5 s). Any local error triggers the full check, so every problem is reported at once.
 */
import { readFileSync } from "node:fs";
import { CaxtonError } from "../errors/caxton-error.js";
import type { ScanResult } from "../workspace/scan-workspace.js";

export async function validateLocally(
  scan: ScanResult,
  /** the files added or modified since the base, or null without a base */
  changed: ReadonlySet<string> | null,
): Promise<void> {
  // the validator (TOML parser, schemas) loads only when there is something to validate
  const { isConfigPath, validateWorkspace } = await import("../config/validate-workspace.js");
  const read = (f: { path: string; absPath: string }) => ({ path: f.path, content: readFileSync(f.absPath) });
  if (changed) {
    const { analyzeFile } = await import("../config/analyze-file.js");
    // the changed files only: a one-file change in 100,000 does not go through the whole file list
    const broken = [...changed]
      .flatMap((path) => scan.files.get(path) ?? [])
      .filter((f) => isConfigPath(f.path))
      .some((f) => analyzeFile(f.path, read(f).content).hasErrors);
    if (!broken) return;
  }
  const configFiles = [...scan.files.values()].filter((f) => isConfigPath(f.path));
  const diagnostics = validateWorkspace(configFiles.map(read));
  const errors = diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) {
    const count = new Set(errors.map((e) => e.path)).size;
    throw new CaxtonError(
      "E_VALIDATION",
      `deployment rejected: ${errors.length} error(s) in ${count} file(s); nothing was sent or applied`,
      { detail: { errors, warnings: diagnostics.filter((d) => d.severity === "warning") } },
    );
  }
}
