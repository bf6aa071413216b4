/**
 * Talking to a workspace's file-system monitor (fs-monitor-daemon.ts): where its socket is, asking it what
 * changed, starting and stopping it. A monitor that is not running, or does not answer within a moment, is
 * simply absent: the caller walks the workspace as it would without one.
 */
import type * as ChildProcess from "node:child_process";
import { createHash } from "node:crypto";
import { lstatSync, mkdirSync, openSync, closeSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CaxtonError } from "../errors/caxton-error.js";
import type { MonitorAnswer, MonitorStatus } from "./fs-monitor-daemon.js";

/** node:child_process, loaded to start a monitor only: every scan asks the monitor, few start one */
const childProcess = (): typeof ChildProcess =>
  createRequire(import.meta.url)("node:child_process") as typeof ChildProcess;

export interface MonitorPlace {
  /** the workspace folder, resolved (one monitor per real folder) */
  root: string;
  socket: string;
  /** the monitor's own log (what it printed when it failed to start) */
  log: string;
  /** where its cookie files go (a folder it watches) */
  cookies: string;
}

/** A Unix socket's path must fit in sockaddr_un (108 bytes on Linux, 104 on macOS). */
const MAX_SOCKET_PATH = 100;

/** Where the monitor of `workspace` lives: `<state dir>/monitor/<hash of the real path>.*`. */
export function monitorPlace(stateDir: string, workspace: string): MonitorPlace {
  let root: string;
  try {
    root = realpathSync(workspace);
  } catch {
    throw new CaxtonError("E_WORKSPACE", `workspace ${workspace} does not exist`);
  }
  const id = createHash("sha256").update(root).digest("hex").slice(0, 16);
  let dir = join(stateDir, "monitor");
  if (join(dir, `${id}.sock`).length > MAX_SOCKET_PATH) {
    // a deep state dir: the socket goes to a private folder under the system's temp dir instead
    dir = join(tmpdir(), `caxton-monitor-${process.getuid?.() ?? "user"}`);
  }
  return {
    root,
    socket: join(dir, `${id}.sock`),
    log: join(dir, `${id}.log`),
    cookies: join(dir, `${id}.cookies`),
  };
}

/** Creates the monitor's folder, private to this user; refuses one that someone else owns or a link. */
export function preparePlace(place: MonitorPlace): void {
  const dir = join(place.socket, "..");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o077) !== 0) {
    throw new CaxtonError(
      "E_USAGE",
      `${dir} is not a private folder of this user; the monitor will not use it`,
      {
        hint: "remove it, or set $CAXTON_STATE_DIR to a folder of your own",
      },
    );
  }
}

/** How long a deploy waits for the monitor's answer before walking instead. */
const ASK_TIMEOUT_MS = 3_000;

/** One request to the monitor; undefined when none answers. */
export function askMonitor(
  socket: string,
  request: { op: "since"; token: string | null } | { op: "status" } | { op: "stop" },
  timeoutMs = ASK_TIMEOUT_MS,
): Promise<unknown> {
  return new Promise((resolve) => {
    let buffered = "";
    let settled = false;
    const finish = (value: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      conn.destroy();
      resolve(value);
    };
    const conn = connect(socket);
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    conn.on("error", () => finish(undefined));
    conn.on("connect", () => conn.write(`${JSON.stringify(request)}\n`));
    conn.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      const nl = buffered.indexOf("\n");
      if (nl < 0) return;
      try {
        finish(JSON.parse(buffered.slice(0, nl)));
      } catch {
        finish(undefined);
      }
    });
    conn.on("close", () => finish(undefined));
  });
}

/** What changed since `token`, or undefined without a monitor (or with one that answered nonsense). */
export async function changesSince(
  place: MonitorPlace,
  token: string | null,
): Promise<MonitorAnswer | undefined> {
  const a = (await askMonitor(place.socket, { op: "since", token })) as
    Partial<Record<string, unknown>> | undefined;
  if (!a || typeof a.token !== "string") return undefined;
  if (typeof a.full === "string") return { token: a.token, full: a.full };
  if (Array.isArray(a.paths) && a.paths.every((p) => typeof p === "string"))
    return { token: a.token, paths: a.paths as string[] };
  return undefined;
}

export async function monitorStatus(place: MonitorPlace): Promise<MonitorStatus | undefined> {
  const s = (await askMonitor(place.socket, { op: "status" }, 1_000)) as MonitorStatus | undefined;
  return s && typeof s.pid === "number" ? s : undefined;
}

/** Starts the monitor in the background (detached: it outlives this command); resolves once it answers. */
export async function startMonitor(
  place: MonitorPlace,
  cli: { node: string; script: string },
): Promise<MonitorStatus> {
  preparePlace(place);
  const running = await monitorStatus(place);
  if (running) return running;
  const log = openSync(place.log, "w", 0o600);
  try {
    const child = childProcess().spawn(cli.node, [cli.script, "monitor", "run", place.root], {
      detached: true,
      stdio: ["ignore", log, log],
      env: process.env,
      // not the caller's folder, which may go away while the monitor runs (each command it runs gets its own)
      cwd: "/",
    });
    child.unref();
  } finally {
    closeSync(log);
  }
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    const s = await monitorStatus(place);
    if (s) return s;
  }
  throw new CaxtonError("E_WORKSPACE", `the file-system monitor for ${place.root} did not start`, {
    hint: `its log is ${place.log}`,
  });
}

/** Stops the monitor; false when none was running. */
export async function stopMonitor(place: MonitorPlace): Promise<boolean> {
  const answer = (await askMonitor(place.socket, { op: "stop" }, 2_000)) as
    { stopping?: boolean } | undefined;
  return answer?.stopping === true;
}
