/**
 * Which paths are not part of a workspace: `.git/` and `.caxton/` always, and what the root's
 * `.caxtonignore` lists (gitignore syntax). The scan and the watcher read the rules through this one place.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ignore, { type Ignore } from "ignore";

/** Folder names skipped at any depth, whatever `.caxtonignore` says. */
export const ALWAYS_SKIPPED: ReadonlySet<string> = new Set([".git", ".caxton"]);

/** The root's `.caxtonignore` rules; null when the workspace has none. */
export function loadWorkspaceIgnore(root: string): Ignore | null {
  let text: string;
  try {
    text = readFileSync(join(root, ".caxtonignore"), "utf8");
  } catch {
    return null;
  }
  return ignore().add(text);
}
