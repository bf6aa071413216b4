/**
 * Runs the real `caxton` executable: the server on 127.0.0.1 port 0 with a temp data dir, and CLI commands
 * with their own state dir. Tests use these instead of calling our modules, so they exercise what users run.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { CAXTON, REPO } from "../../support/caxton-serve.js";

/** the server: `startServe({ dataDir, env, args })` (support/caxton-serve.ts has every option) */
export {
  CAXTON,
  isServing,
  REPO,
  spawnServe,
  startServe,
  type ServeProcess,
} from "../../support/caxton-serve.js";

export function tempDir(prefix = "caxton-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json(): Record<string, unknown>;
}

let sharedStateDir: string | undefined;

/**
 * The local state dir of CLI runs that name none: one temp dir per test process (shared by its runs, as a
 * user's state is), removed when the process exits. Tests never touch the real ~/.local/state/caxton.
 */
function defaultStateDir(): string {
  if (sharedStateDir === undefined) {
    const dir = tempDir("caxton-state-");
    sharedStateDir = dir;
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  }
  return sharedStateDir;
}

export function runCli(args: string[], env: Record<string, string> = {}, cwd = REPO): Promise<CliResult> {
  return runCommand(process.execPath, [CAXTON, ...args], env, cwd);
}

export interface TerminalResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together */
  output: string;
}

/**
 * Runs the CLI on a real terminal (a pty from util-linux `script`), typing `input` at it; the environment as
 * `runCli` gives it.
 */
export function runCliOnTerminal(
  args: string[],
  env: Record<string, string> = {},
  options: { input?: string; timeoutMs?: number } = {},
): TerminalResult {
  const command = [process.execPath, CAXTON, ...args].map((a) => `'${a}'`).join(" ");
  const r = spawnSync("script", ["-qec", command, "/dev/null"], {
    env: { ...process.env, NO_COLOR: "1", CAXTON_SERVER: "", CAXTON_STATE_DIR: defaultStateDir(), ...env },
    encoding: "utf8",
    timeout: options.timeoutMs ?? 60_000,
    ...(options.input === undefined ? {} : { input: options.input }),
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, output: r.stdout + r.stderr };
}

/** The uid and gid `runCliUnprivileged` runs as (nobody), for chown in tests. */
export const UNPRIVILEGED = { uid: 65534, gid: 65534 };

/**
 * Runs the CLI as an ordinary user, so file permissions apply (root reads a mode-000 file): as `nobody`
 * through setpriv when the tests run as root, else as the current user.
 */
export function runCliUnprivileged(
  args: string[],
  env: Record<string, string> = {},
  cwd = REPO,
): Promise<CliResult> {
  if (process.getuid?.() !== 0) return runCli(args, env, cwd);
  letOthersTraverse(REPO);
  const drop = [`--reuid=${UNPRIVILEGED.uid}`, `--regid=${UNPRIVILEGED.gid}`, "--clear-groups"];
  return runCommand(
    "setpriv",
    [...drop, process.execPath, CAXTON, ...args],
    { HOME: "/nonexistent", ...env },
    cwd,
  );
}

/**
 * An unprivileged user can run the CLI only if every folder above the checkout may be traversed: a clone
 * under a private folder (say /root) would fail every such test for a reason that is not ours. When the
 * tests run as root, the search (x) bit for others is added to each folder above the checkout that lacks
 * it; nothing is made readable or writable.
 */
function letOthersTraverse(dir: string): void {
  for (let d = dir; ; d = dirname(d)) {
    const mode = statSync(d).mode;
    if ((mode & 0o001) === 0) chmodSync(d, (mode & 0o7777) | 0o001);
    if (dirname(d) === d) return;
  }
}

function runCommand(
  command: string,
  argv: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, argv, {
      cwd,
      env: { ...process.env, NO_COLOR: "1", CAXTON_SERVER: "", CAXTON_STATE_DIR: defaultStateDir(), ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) =>
      resolvePromise({
        code: code ?? -1,
        stdout,
        stderr,
        json() {
          try {
            return JSON.parse(stdout) as Record<string, unknown>;
          } catch {
            throw new Error(`not JSON (exit ${code}):\n${stdout}\n${stderr}`);
          }
        },
      }),
    );
  });
}

export function cleanup(...dirs: string[]): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** resolves with the first stdout line from `from` on (an index into stdout()) that matches */
  waitForLine(pattern: RegExp, timeoutMs?: number, from?: number): Promise<string>;
  exited: Promise<number | null>;
}

/** A long-running CLI command (`deploy --watch`), its output collected as it comes. */
export function startCliProcess(args: string[], env: Record<string, string> = {}): CliProcess {
  const child = spawn(process.execPath, [CAXTON, ...args], {
    cwd: REPO,
    env: { ...process.env, NO_COLOR: "1", CAXTON_SERVER: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  const listeners = new Set<() => void>();
  child.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
    for (const l of listeners) l();
  });
  child.stderr?.on("data", (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForLine(pattern, timeoutMs = 60_000, from = 0) {
      return new Promise((resolvePromise, reject) => {
        const check = (): void => {
          const line = out
            .slice(from)
            .split("\n")
            .find((l, i, all) => i < all.length - 1 && pattern.test(l));
          if (line === undefined) return;
          done();
          resolvePromise(line);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no line matching ${pattern} in ${timeoutMs} ms:\n${out}\n${err}`));
        }, timeoutMs);
        const onExit = (): void => {
          check();
          done();
          reject(new Error(`exited before a line matching ${pattern}:\n${out}\n${err}`));
        };
        const done = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off("exit", onExit);
        };
        listeners.add(check);
        child.on("exit", onExit);
        check();
      });
    },
  };
}
