/**
 * `caxton serve` as a child process, waited for until it prints its first line, `listening on URL`: the one
 * way the tests, the bench and the demo start the real server.
 *
 *   const server = await startServe({ dataDir, args: ["--token-file", file] });
 *   ... server.url ...
 *   await server.stop();                      // SIGTERM, SIGKILL if it has not exited 15 s later
 *
 * `spawnServe` is the same start for a server that may refuse to: it resolves with the exit status and
 * output instead of rejecting.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** the checkout this module was built in (it runs as dist/support/caxton-serve.js) */
export const REPO = resolve(fileURLToPath(import.meta.url), "../../..");
/** the checkout's executable */
export const CAXTON = join(REPO, "bin", "caxton");

export interface ServeOptions {
  /** `--data-dir DIR`; left out: no such flag (`args` names it, or the server refuses to start) */
  dataDir?: string;
  /** `--listen ADDRESS`; default `127.0.0.1:0` (a free loopback port), null: no such flag */
  listen?: string | null;
  /** `--database URL` (replicas on PostgreSQL) */
  databaseUrl?: string;
  /** `--tls-cert FILE --tls-key FILE` (the URL is then https://) */
  tls?: { cert: string; key: string };
  /** `--quiet`: no request log */
  quiet?: boolean;
  /** further flags, after the ones above */
  args?: string[];
  /** the executable to run; default this checkout's bin/caxton (the bench runs a private copy) */
  caxton?: string;
  /** flags for node itself, before the script (`--cpu-prof`, ...) */
  nodeFlags?: string[];
  /** variables set over process.env (NO_COLOR=1 is always set) */
  env?: NodeJS.ProcessEnv;
  /** false: `env` is the whole environment, nothing of process.env is passed on; default true */
  inheritEnv?: boolean;
  /** "capture" (default: `stderr()` returns it) or "inherit" (written to ours as it comes) */
  stderr?: "capture" | "inherit";
  /** time to `listening on`, after which the process is SIGKILLed and the start fails; default 60 s */
  timeoutMs?: number;
  /** time `stop()` waits after its signal before SIGKILL; default 15 s */
  killAfterMs?: number;
  /** called with the child as soon as it is spawned (the bench remembers it to kill it on SIGINT) */
  onSpawn?: (child: ChildProcess) => void;
}

export interface ServeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServeProcess {
  /** from the `listening on URL` line: http://HOST:PORT or https://HOST:PORT */
  url: string;
  /** `options.dataDir`, or "" when none was given */
  dataDir: string;
  pid: number;
  child: ChildProcess;
  /** what it printed so far */
  stdout(): string;
  /** what it wrote on stderr so far ("" when inherited) */
  stderr(): string;
  /** null while it runs; else how it ended */
  exited(): ServeExit | null;
  /**
   * Sends `signal` (default SIGTERM) unless it already ended, waits for the exit (SIGKILL after
   * `killAfterMs`) and resolves with the exit code, or -1 when a signal ended it.
   */
  stop(signal?: NodeJS.Signals): Promise<number>;
}

/** a server that exited before it listened */
export interface ServeRefusal extends ServeExit {
  stdout: string;
  stderr: string;
}

export function isServing(r: ServeProcess | ServeRefusal): r is ServeProcess {
  return "url" in r;
}

/** The command line `options` stand for: node flags, the executable, `serve` and its flags. */
export function serveArgv(options: ServeOptions = {}): string[] {
  const flags: string[] = [];
  if (options.dataDir !== undefined) flags.push("--data-dir", options.dataDir);
  const listen = options.listen === undefined ? "127.0.0.1:0" : options.listen;
  if (listen !== null) flags.push("--listen", listen);
  if (options.databaseUrl !== undefined) flags.push("--database", options.databaseUrl);
  if (options.tls) flags.push("--tls-cert", options.tls.cert, "--tls-key", options.tls.key);
  if (options.quiet) flags.push("--quiet");
  return [...(options.nodeFlags ?? []), options.caxton ?? CAXTON, "serve", ...flags, ...(options.args ?? [])];
}

/** Starts the server; resolves once it listens, or with how it ended if it exits first. */
export function spawnServe(options: ServeOptions = {}): Promise<ServeProcess | ServeRefusal> {
  const inherit = options.stderr === "inherit";
  const base = options.inheritEnv === false ? {} : process.env;
  const child = spawn(process.execPath, serveArgv(options), {
    env: { ...base, ...options.env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", inherit ? "inherit" : "pipe"],
  });
  options.onSpawn?.(child);
  let out = "";
  let err = "";
  let ended: ServeExit | null = null;
  const exit = new Promise<ServeExit>((r) =>
    child.once("exit", (code, signal) => {
      ended = { code, signal };
      r(ended);
    }),
  );
  child.stderr?.on("data", (c: Buffer) => (err += c.toString()));
  child.stdout?.on("data", (c: Buffer) => (out += c.toString()));
  const timeoutMs = options.timeoutMs ?? 60_000;
  const killAfterMs = options.killAfterMs ?? 15_000;

  const stop = async (signal: NodeJS.Signals = "SIGTERM"): Promise<number> => {
    if (ended === null) child.kill(signal);
    const killer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    const { code } = await exit;
    clearTimeout(killer);
    return code ?? -1;
  };

  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`caxton serve did not print "listening on" within ${timeoutMs} ms:\n${out}\n${err}`));
    }, timeoutMs);
    const onData = (): void => {
      const m = /^listening on (https?:\/\/\S+)\n/.exec(out);
      if (!m?.[1] || child.pid === undefined) return;
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      resolvePromise({
        url: m[1],
        dataDir: options.dataDir ?? "",
        pid: child.pid,
        child,
        stdout: () => out,
        stderr: () => err,
        exited: () => ended,
        stop,
      });
    };
    child.stdout?.on("data", onData);
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    void exit.then(({ code, signal }) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout: out, stderr: err });
    });
  });
}

/** Starts the server and resolves once it listens; rejects (with its output) if it exits first. */
export async function startServe(options: ServeOptions = {}): Promise<ServeProcess> {
  const r = await spawnServe(options);
  if (isServing(r)) return r;
  const how = r.signal ? `signal ${r.signal}` : `code ${r.code}`;
  throw new Error(`caxton serve exited (${how}) before listening:\n${r.stdout}\n${r.stderr}`);
}
