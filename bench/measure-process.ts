/**
 * Runs a process and measures what a user waits for: the wall time from spawn to exit of the whole process
 * (Node's start-up included), and its peak resident memory.
 *
 * Peak RSS of a short-lived process: GNU `/usr/bin/time -f %M` when it exists (the kernel's maxrss from
 * wait4, exact); otherwise /proc/<pid>/status VmHWM polled every 5 ms, a lower bound (the last reading
 * before exit). Peak RSS of a long-lived process (the server), per measured run: VmHWM reset through
 * /proc/<pid>/clear_refs ("5") before the run and read after it; where the kernel refuses the reset, VmRSS
 * polled every 5 ms during the run.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { trackChild } from "./child-processes.js";

export interface ProcessSample {
  /** the command line, for error messages and the JSON results */
  command: string;
  code: number | null;
  signal: string | null;
  wallMs: number;
  peakRssKb: number | null;
  stdout: string;
  stderr: string;
}

export interface MeasureOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** the process (group) is killed after this; default 10 minutes */
  timeoutMs?: number;
  /** a folder for the /usr/bin/time output file */
  scratchDir: string;
}

export type ClientRssMethod = "/usr/bin/time -f %M" | "/proc VmHWM polled every 5 ms (lower bound)";

const GNU_TIME = "/usr/bin/time";
let gnuTimeUsable: boolean | undefined;

/** Whether GNU time is installed and understands `-f %M -o FILE` (BusyBox's does not). */
export function clientRssMethod(scratchDir: string): ClientRssMethod {
  if (gnuTimeUsable === undefined) {
    gnuTimeUsable = false;
    if (existsSync(GNU_TIME)) {
      const out = join(scratchDir, "time-probe.txt");
      const r = spawnSync(GNU_TIME, ["-f", "%M", "-o", out, process.execPath, "-e", "0"], {
        stdio: "ignore",
      });
      gnuTimeUsable =
        r.status === 0 && existsSync(out) && parseTimeOutput(readFileSync(out, "utf8")) !== null;
      rmSync(out, { force: true });
    }
  }
  return gnuTimeUsable ? "/usr/bin/time -f %M" : "/proc VmHWM polled every 5 ms (lower bound)";
}

/** GNU time writes "Command exited with non-zero status N" before the format line when N != 0. */
function parseTimeOutput(text: string): number | null {
  const last = text.trim().split("\n").pop();
  const n = last === undefined ? NaN : Number(last);
  return Number.isFinite(n) && n > 0 ? n : null;
}

let sequence = 0;

export function measureProcess(
  file: string,
  args: string[],
  options: MeasureOptions,
): Promise<ProcessSample> {
  const useTime = clientRssMethod(options.scratchDir) === "/usr/bin/time -f %M";
  const timeFile = join(options.scratchDir, `time-${process.pid}-${++sequence}.txt`);
  const command = [file, ...args].join(" ");
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = useTime
      ? spawn(GNU_TIME, ["-f", "%M", "-o", timeFile, file, ...args], {
          env: options.env,
          cwd: options.cwd,
          stdio: ["ignore", "pipe", "pipe"],
          detached: true, // its own process group, so a timeout kills the command under `time` too
        })
      : spawn(file, args, {
          env: options.env,
          cwd: options.cwd,
          stdio: ["ignore", "pipe", "pipe"],
          detached: true,
        });
    trackChild(child, true);
    let wallMs = 0;
    let polledKb = 0;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    const poll =
      useTime || child.pid === undefined
        ? undefined
        : setInterval(
            () => (polledKb = Math.max(polledKb, readStatusKb(child.pid as number, "VmHWM") ?? 0)),
            5,
          );
    const timeout = setTimeout(() => {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }, options.timeoutMs ?? 600_000);
    child.on("error", (e) => {
      clearTimeout(timeout);
      if (poll) clearInterval(poll);
      reject(e);
    });
    child.on("exit", () => {
      wallMs = performance.now() - t0;
      if (poll) clearInterval(poll);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timeout);
      let peakRssKb: number | null = polledKb || null;
      if (useTime) {
        try {
          peakRssKb = parseTimeOutput(readFileSync(timeFile, "utf8"));
        } catch {
          peakRssKb = null;
        }
        rmSync(timeFile, { force: true });
      }
      resolve({
        command,
        code,
        signal,
        wallMs,
        peakRssKb,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      });
    });
  });
}

/** Several processes run one after the other as one step (e.g. git add, commit, push): wall times add up. */
export function combineSamples(samples: ProcessSample[]): ProcessSample {
  const rss = samples.map((s) => s.peakRssKb).filter((n): n is number => n !== null);
  const failed = samples.find((s) => s.code !== 0);
  return {
    command: samples.map((s) => s.command).join(" && "),
    code: failed ? failed.code : 0,
    signal: failed?.signal ?? null,
    wallMs: samples.reduce((n, s) => n + s.wallMs, 0),
    peakRssKb: rss.length > 0 ? Math.max(...rss) : null,
    stdout: samples.map((s) => s.stdout).join(""),
    stderr: samples.map((s) => s.stderr).join(""),
  };
}

/** Throws with the process's output when it did not exit 0. */
export function assertSuccess(sample: ProcessSample): ProcessSample {
  if (sample.code !== 0) {
    throw new Error(
      `bench: \`${sample.command}\` exited ${sample.code ?? sample.signal}:\n${sample.stdout.slice(-2000)}\n${sample.stderr.slice(-4000)}`,
    );
  }
  return sample;
}

export function readStatusKb(pid: number, field: "VmHWM" | "VmRSS"): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m?.[1] ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export type ServerRssMethod =
  "VmHWM reset via /proc/<pid>/clear_refs" | "VmRSS polled every 5 ms" | "unavailable";

/** Peak RSS of a running process over a window: begin() … end(). */
export class PeakRssProbe {
  private poll: NodeJS.Timeout | undefined;
  private polledKb = 0;
  method: ServerRssMethod = "unavailable";

  constructor(readonly pid: number) {}

  begin(): void {
    try {
      writeFileSync(`/proc/${this.pid}/clear_refs`, "5");
      this.method = "VmHWM reset via /proc/<pid>/clear_refs";
    } catch {
      if (readStatusKb(this.pid, "VmRSS") === null) {
        this.method = "unavailable";
        return;
      }
      this.method = "VmRSS polled every 5 ms";
      this.polledKb = 0;
      const sample = (): void =>
        void (this.polledKb = Math.max(this.polledKb, readStatusKb(this.pid, "VmRSS") ?? 0));
      sample();
      this.poll = setInterval(sample, 5);
    }
  }

  end(): number | null {
    if (this.method === "VmHWM reset via /proc/<pid>/clear_refs") return readStatusKb(this.pid, "VmHWM");
    if (this.poll) clearInterval(this.poll);
    this.poll = undefined;
    return this.method === "unavailable" ? null : this.polledKb || null;
  }
}
