/**
 * Peak RSS of the real processes: the server's VmHWM from /proc/<pid>/status while it runs, a CLI run's
 * from GNU time's %M when /usr/bin/time exists, else by polling its VmHWM until it exits. Linux only.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { CAXTON } from "./caxton-process.js";

const GNU_TIME = "/usr/bin/time";

/** Peak resident set size of a live process, in bytes (VmHWM), or 0 once it has gone. */
export function peakRss(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m?.[1] ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export interface Measured {
  code: number;
  stdout: string;
  stderr: string;
  peakBytes: number;
  how: string;
}

/** Runs `caxton ARGS` and measures its peak RSS. */
export function runMeasured(
  args: string[],
  env: Record<string, string>,
  timeFile: string,
): Promise<Measured> {
  const useTime = existsSync(GNU_TIME);
  const argv = useTime
    ? [GNU_TIME, "-f", "%M", "-o", timeFile, process.execPath, CAXTON, ...args]
    : [process.execPath, CAXTON, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      env: { ...process.env, NO_COLOR: "1", CAXTON_SERVER: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let polled = 0;
    const poll = setInterval(() => {
      polled = Math.max(polled, peakRss(child.pid ?? -1));
    }, 20);
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      clearInterval(poll);
      const fromTime = useTime ? Number(readFileSync(timeFile, "utf8").trim().split("\n").pop()) * 1024 : 0;
      resolve({
        code: code ?? -1,
        stdout,
        stderr,
        peakBytes: useTime ? fromTime : polled,
        how: useTime ? "GNU time %M" : "polled VmHWM",
      });
    });
  });
}
