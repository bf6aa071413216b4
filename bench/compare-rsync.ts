/**
 * rsync, side by side: `rsync -a WORKSPACE/ rsync://127.0.0.1:PORT/workspace/` to an `rsync --daemon` on
 * loopback (no chroot, running as the current user). `--stats` is added only to read the bytes on the wire;
 * it does not change what is transferred. The bench never installs rsync: when it is missing, it says so.
 */
import { measuredEnv } from "./measured-env.js";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LOOPBACK, startOnFreePort } from "./free-port.js";
import { moveToTrash } from "./move-to-trash.js";
import { assertSuccess, measureProcess, type ProcessSample } from "./measure-process.js";

export interface RsyncSetup {
  /** a scratch folder of its own, removed by the caller */
  root: string;
  source: string;
  scratchDir: string;
}

export interface RsyncSample extends ProcessSample {
  bytesSent: number | null;
  bytesReceived: number | null;
  filesTransferred: number | null;
}

export function rsyncVersion(): string | null {
  const r = spawnSync("rsync", ["--version"], { encoding: "utf8" });
  return r.status === 0 ? (r.stdout.split("\n")[0] ?? "rsync").replace(/\s+/g, " ").trim() : null;
}

export class RsyncComparison {
  private readonly dest: string;

  private constructor(
    private readonly setup: RsyncSetup,
    private readonly daemon: ChildProcess,
    readonly port: number,
  ) {
    this.dest = join(setup.root, "dest");
  }

  static async start(setup: RsyncSetup): Promise<RsyncComparison | string> {
    if (!rsyncVersion()) return "rsync not installed";
    const dest = join(setup.root, "dest");
    mkdirSync(dest, { recursive: true });
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    const config = join(setup.root, "rsyncd.conf");
    writeFileSync(
      config,
      [
        "use chroot = no",
        `log file = ${join(setup.root, "rsyncd.log")}`,
        "[workspace]",
        `  path = ${dest}`,
        "  read only = no",
        `  uid = ${uid}`,
        `  gid = ${gid}`,
        "",
      ].join("\n"),
    );
    const started = await startOnFreePort((port) =>
      spawn(
        "rsync",
        ["--daemon", "--no-detach", `--config=${config}`, `--address=${LOOPBACK}`, `--port=${port}`],
        { stdio: "ignore" },
      ),
    );
    if (started) return new RsyncComparison(setup, started.daemon, started.port);
    return "rsync --daemon did not start";
  }

  /** An empty destination (untimed set-up for an initial copy). */
  resetDestination(): void {
    moveToTrash(this.dest, join(this.setup.root, "trash"));
    mkdirSync(this.dest, { recursive: true });
  }

  async sync(): Promise<RsyncSample> {
    const sample = assertSuccess(
      await measureProcess(
        "rsync",
        ["-a", "--stats", `${this.setup.source}/`, `rsync://${LOOPBACK}:${this.port}/workspace/`],
        { scratchDir: this.setup.scratchDir, env: measuredEnv({}) },
      ),
    );
    const num = (label: string): number | null => {
      const m = new RegExp(`^${label}: ([\\d,]+)`, "m").exec(sample.stdout);
      return m?.[1] ? Number(m[1].replace(/,/g, "")) : null;
    };
    return {
      ...sample,
      bytesSent: num("Total bytes sent"),
      bytesReceived: num("Total bytes received"),
      filesTransferred: num("Number of regular files transferred"),
    };
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
