/**
 * git, side by side: the same change committed and pushed to a `git daemon` on loopback, and `git status`.
 * The repository's metadata lives outside the workspace (GIT_DIR + GIT_WORK_TREE), so caxton and rsync see
 * exactly the same files. A user's and the system's git configuration are kept out (own HOME,
 * GIT_CONFIG_NOSYSTEM), automatic gc is off on both sides so it cannot run in the middle of a measurement.
 */
import { measuredEnv } from "./measured-env.js";
import { spawnSync, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { LOOPBACK, startOnFreePort } from "./free-port.js";
import { moveToTrash } from "./move-to-trash.js";
import { assertSuccess, combineSamples, measureProcess, type ProcessSample } from "./measure-process.js";

export interface GitSetup {
  /** a scratch folder of its own, removed by the caller */
  root: string;
  workTree: string;
  scratchDir: string;
}

export function gitVersion(): string | null {
  const r = spawnSync("git", ["--version"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
}

export class GitComparison {
  private readonly gitDir: string;
  private readonly remotes: string;
  private readonly remoteDir: string;
  private readonly env: NodeJS.ProcessEnv;

  private constructor(
    private readonly setup: GitSetup,
    private readonly daemon: ChildProcess,
    readonly port: number,
  ) {
    this.gitDir = join(setup.root, "work.git");
    this.remotes = join(setup.root, "remotes");
    this.remoteDir = join(this.remotes, "workspace.git");
    this.env = gitEnv(setup.root, { GIT_DIR: this.gitDir, GIT_WORK_TREE: setup.workTree });
  }

  /** Starts a git daemon on a free loopback port; null with the reason when git or its daemon is missing. */
  static async start(setup: GitSetup): Promise<GitComparison | string> {
    if (!gitVersion()) return "git not installed";
    const remotes = join(setup.root, "remotes");
    mkdirSync(remotes, { recursive: true });
    const started = await startOnFreePort((port) =>
      spawn(
        "git",
        [
          "daemon",
          "--reuseaddr",
          "--export-all",
          "--enable=receive-pack",
          `--base-path=${remotes}`,
          `--listen=${LOOPBACK}`,
          `--port=${port}`,
        ],
        { env: gitEnv(setup.root, {}), stdio: "ignore" },
      ),
    );
    if (started) return new GitComparison(setup, started.daemon, started.port);
    return "git daemon did not start (is git-daemon installed?)";
  }

  /** A fresh local repository and an empty bare remote (untimed set-up for a first push). */
  async reset(): Promise<void> {
    moveToTrash(this.gitDir, join(this.setup.root, "trash"));
    moveToTrash(this.remoteDir, join(this.setup.root, "trash"));
    const envNoDir = gitEnv(this.setup.root, {});
    const run = async (args: string[], env = this.env): Promise<void> => {
      assertSuccess(await measureProcess("git", args, { env, scratchDir: this.setup.scratchDir }));
    };
    await run(["init", "-q", "--bare", "-b", "main", this.remoteDir], envNoDir);
    await run(["-C", this.remoteDir, "config", "receive.autogc", "false"], envNoDir);
    await run(["-C", this.remoteDir, "config", "gc.auto", "0"], envNoDir);
    await run(["init", "-q", "-b", "main"]);
    await run(["config", "gc.auto", "0"]);
    await run(["config", "commit.gpgsign", "false"]);
    await run(["remote", "add", "origin", `git://${LOOPBACK}:${this.port}/workspace.git`]);
  }

  private git(args: string[]): Promise<ProcessSample> {
    return measureProcess("git", args, {
      env: this.env,
      cwd: this.setup.workTree,
      scratchDir: this.setup.scratchDir,
    });
  }

  /** `git add -A && git commit && git push`: what publishing the current workspace state costs with git. */
  async publish(message: string): Promise<ProcessSample> {
    const samples = [assertSuccess(await this.git(["add", "-A"]))];
    samples.push(assertSuccess(await this.git(["commit", "-q", "-m", message])));
    samples.push(assertSuccess(await this.git(["push", "-q", "origin", "HEAD:refs/heads/main"])));
    return combineSamples(samples);
  }

  /** Nothing changed: `git add -A && git push` (which answers "Everything up-to-date"). */
  async publishUnchanged(): Promise<ProcessSample> {
    const samples = [assertSuccess(await this.git(["add", "-A"]))];
    samples.push(assertSuccess(await this.git(["push", "-q", "origin", "HEAD:refs/heads/main"])));
    return combineSamples(samples);
  }

  async status(): Promise<ProcessSample> {
    return assertSuccess(await this.git(["status", "--porcelain"]));
  }

  async stop(): Promise<void> {
    if (this.daemon.exitCode === null && this.daemon.signalCode === null) {
      const exited = new Promise((r) => this.daemon.once("exit", r));
      this.daemon.kill("SIGTERM");
      const killer = setTimeout(() => this.daemon.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(killer);
    }
  }
}

function gitEnv(root: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  return measuredEnv({
    HOME: join(root, "home"),
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_TERMINAL_PROMPT: "0",
    GIT_AUTHOR_NAME: "bench",
    GIT_AUTHOR_EMAIL: "bench@localhost",
    GIT_COMMITTER_NAME: "bench",
    GIT_COMMITTER_EMAIL: "bench@localhost",
    ...extra,
  });
}
