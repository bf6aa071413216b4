/**
 * Git facts about a workspace for the server's history (Caxton ADR-0045): commit, branch, dirty. Looked up
 * only when a `.git` is found above the workspace (a stat per level), so non-git workspaces pay nothing, and
 * only when there is something to deploy (two `git` processes cost ~10 ms).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

export interface GitInfo {
  commit: string;
  branch: string | null;
  dirty: boolean;
}

export function gitInfo(workspace: string): GitInfo | undefined {
  let dir = workspace;
  for (;;) {
    if (existsSync(join(dir, ".git"))) break;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
  const git = (...args: string[]): string | undefined => {
    const r = spawnSync("git", ["-C", workspace, ...args], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    return r.status === 0 ? r.stdout.trim() : undefined;
  };
  const commit = git("rev-parse", "HEAD");
  if (!commit) return undefined;
  const branch = git("symbolic-ref", "--short", "-q", "HEAD") || null;
  const status = git("status", "--porcelain", "--untracked-files=normal", "--", ".");
  return { commit, branch, dirty: status === undefined ? false : status.length > 0 };
}
