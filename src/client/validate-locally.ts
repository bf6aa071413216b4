/**
 * Runs the server's rules before anything is uploaded, so a broken file fails with no round trip. With a
 * base (this client deployed here before), only the config files changed since are checked file by file
 * — the unchanged ones passed the server's checks then — and the cross-file rules are left to the server,
 * which caches every file's analysis: a one-agent change on a 10,000-agent workspace reads one file here,
 * not 10,000 (~0.5 s). The changed files go through the quick check first (config/quick-check.ts: no
 * zod loaded; 45 -> 18 ms for a one-agent deploy at M); a file it cannot vouch for gets the full analysis.
 * Any local error triggers the full check, so every problem is reported at once.
 */
import { readFileSync } from "node:fs";
import { CaxtonError } from "../errors/caxton-error.js";
import { isConfigPath } from "../config/file-kind.js";
import type { ScanResult } from "../workspace/scan-workspace.js";

export async function validateLocally(
  scan: ScanResult,
  /** the files added or modified since the base, or null without a base */
  changed: ReadonlySet<string> | null,
): Promise<void> {
  const read = (f: { path: string; absPath: string }) => ({ path: f.path, content: readFileSync(f.absPath) });
  if (changed) {
    // the changed files only: a one-file change in 100,000 does not go through the whole file list
    const files = [...changed]
      .flatMap((path) => scan.files.get(path) ?? [])
      .filter((f) => isConfigPath(f.path))
      .map(read);
    const { quickCheck } = await import("../config/quick-check.js");
    if (files.every((f) => quickCheck(f.path, f.content))) return;
    // the validator (schemas) loads only when the quick check could not vouch for a file
    const { analyzeFile } = await import("../config/analyze-file.js");
    if (!files.some((f) => analyzeFile(f.path, f.content).hasErrors)) return;
  }
  const { validateWorkspace } = await import("../config/validate-workspace.js");
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
