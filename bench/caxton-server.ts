/**
 * The real server, as users run it: `caxton serve --data-dir D --listen 127.0.0.1:0 --quiet`, whose first
 * line is `listening on http://HOST:PORT`. Stopped with SIGTERM (it finishes in-flight requests and exits).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { trackChild } from "./child-processes.js";

export interface CaxtonServer {
  url: string;
  pid: number;
  dataDir: string;
  /** null while running; else how it ended and the end of what it wrote on stderr (for error messages) */
  exited(): { code: number | null; signal: string | null; stderr: string } | null;
  stop(): Promise<void>;
}

export function startCaxtonServer(
  caxton: string,
  dataDir: string,
  env: NodeJS.ProcessEnv,
  nodeFlags: string[] = [],
  timeoutMs = 20_000,
): Promise<CaxtonServer> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      process.execPath,
      [...nodeFlags, caxton, "serve", "--data-dir", dataDir, "--listen", "127.0.0.1:0", "--quiet"],
      { env, stdio: ["ignore", "pipe", "pipe"] },
    );
    trackChild(child);
    let out = "";
    let err = "";
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`bench: caxton serve did not start within ${timeoutMs} ms:\n${out}\n${err}`));
    }, timeoutMs);
    child.stderr?.on("data", (c: Buffer) => (err += c.toString()));
    child.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /^listening on (http:\/\/\S+)\n/.exec(out);
      if (m?.[1] && child.pid !== undefined) {
        clearTimeout(timer);
        const pid = child.pid;
        resolve({
          url: m[1],
          pid,
          dataDir,
          exited: () =>
            child.exitCode === null && child.signalCode === null
              ? null
              : { code: child.exitCode, signal: child.signalCode, stderr: err.slice(-4000) },
          stop: async () => {
            if (child.exitCode === null && child.signalCode === null) {
              child.kill("SIGTERM");
              const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
              await exited;
              clearTimeout(killer);
            }
          },
        });
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`bench: caxton serve exited (${code}) before listening:\n${out}\n${err}`));
    });
  });
}
