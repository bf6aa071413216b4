/**
 * Runs the real `caxton` executable: the server on 127.0.0.1 port 0 with a temp data dir, and CLI commands
 * with their own state dir. Tests use these instead of calling our modules, so they exercise what users run.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = resolve(fileURLToPath(import.meta.url), "../../../..");
export const CAXTON = join(REPO, "bin", "caxton");

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
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CAXTON, ...args], {
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

export interface ServerProcess {
  url: string;
  dataDir: string;
  child: ChildProcess;
  stderr(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startServerProcess(
  dataDir: string,
  env: Record<string, string> = {},
  args: string[] = [],
): Promise<ServerProcess> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      [CAXTON, "serve", "--data-dir", dataDir, "--listen", "127.0.0.1:0", ...args],
      {
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    const exited = new Promise<number | null>((r) =>
      child.on("exit", (code, signal) => r(code ?? (signal ? -1 : null))),
    );
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    const onData = (c: Buffer): void => {
      out += c.toString();
      const m = /^listening on (https?:\/\/\S+)\n/.exec(out);
      if (m?.[1]) {
        child.stdout.off("data", onData);
        resolvePromise({
          url: m[1],
          dataDir,
          child,
          stderr: () => err,
          stop: async (signal = "SIGTERM") => {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout.on("data", onData);
    child.on("exit", (code) =>
      reject(new Error(`server exited (${code}) before listening:\n${out}\n${err}`)),
    );
  });
}

export function cleanup(...dirs: string[]): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
