/**
 * Git facts about a workspace for the server's history (Caxton ADR-0045): commit, branch, dirty. Looked up
 * only when a `.git` is found above the workspace (a stat per level), so non-git workspaces pay nothing, and
 * only when there is something to deploy. The three `git` processes run at once, and beside the deploy's
 * own work (its local validation), not before it: `git status` of a large tree costs ~0.3 s.
 */
import type * as ChildProcess from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export interface GitInfo {
  commit: string;
  branch: string | null;
  dirty: boolean;
}

/** node:child_process, loaded for a workspace in git only */
const childProcess = (): typeof ChildProcess =>
  createRequire(import.meta.url)("node:child_process") as typeof ChildProcess;

export async function gitInfo(workspace: string): Promise<GitInfo | undefined> {
  let dir = workspace;
  for (;;) {
    if (existsSync(join(dir, ".git"))) break;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
  const { spawn } = childProcess();
  /** the command's output (all of it, or only whether there is any), or undefined when it failed */
  const git = (args: string[], anyOutput = false): Promise<string | undefined> =>
    new Promise((resolve) => {
      const child = spawn("git", ["-C", workspace, ...args], { stdio: ["ignore", "pipe", "ignore"] });
      let out = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        out += chunk;
        if (anyOutput) child.kill(); // one line says dirty: the rest of a large status is not needed
      });
      child.on("error", () => resolve(undefined));
      child.on("close", (code) => resolve(code === 0 || (anyOutput && out !== "") ? out.trim() : undefined));
    });
  const [commit, branch, status] = await Promise.all([
    git(["rev-parse", "HEAD"]),
    git(["symbolic-ref", "--short", "-q", "HEAD"]),
    git(["status", "--porcelain", "--untracked-files=normal", "--", "."], true),
  ]);
  if (!commit) return undefined;
  return { commit, branch: branch || null, dirty: status === undefined ? false : status.length > 0 };
}

/**
 * The git facts across the deploys of `deploy --watch`: each deploy takes the facts of the latest read that
 * finished and starts the next read in the background (one at a time), so a deploy never waits for
 * `git status` after the first. A deploy's facts are those of the tree at about the previous save.
 */
export class KeptGitInfo {
  private latest: { facts: GitInfo | undefined } | null = null;
  private reading: Promise<GitInfo | undefined> | null = null;

  constructor(private readonly workspace: string) {}

  facts(): Promise<GitInfo | undefined> {
    const read = (this.reading ??= gitInfo(this.workspace).then(
      (facts) => {
        this.latest = { facts };
        this.reading = null;
        return facts;
      },
      () => {
        this.reading = null;
        return this.latest?.facts;
      },
    ));
    return this.latest ? Promise.resolve(this.latest.facts) : read;
  }
}
