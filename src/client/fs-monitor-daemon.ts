/**
 * The file-system monitor: a background process per workspace that watches it (workspace-watcher.ts, one
 * inotify watch per folder) and answers "which paths may have changed since token T" over a Unix socket, so
 * that a deploy, `status` or `validate` stats only those paths instead of walking the workspace (git's
 * fsmonitor--daemon and watchman do the same for `git status`).
 *
 * Tokens are `<instance>:<seq>`: every path the watcher reports gets the next sequence number when it is
 * taken from the watcher; a query's answer carries the current number. A token is honoured only by the
 * instance that issued it, and only while nothing was lost since (a watcher error, a folder created or
 * renamed, an overflow, more distinct paths than the monitor keeps): otherwise the answer is "full" and the
 * caller walks the workspace, so the monitor can make a scan cheaper but never wrong.
 *
 * The barrier (git's cookie files): events reach the process asynchronously, so before it answers, the
 * monitor creates a cookie file in a folder it also watches and waits for that file's event. libuv reads
 * every watch of a process from one inotify descriptor, whose queue the kernel keeps in order, so once the
 * cookie's event has arrived, the event of every write that finished before the query has arrived too.
 *
 * Protocol: one JSON object per line each way. `{"op":"since","token":T|null}` →
 * `{"token":T2,"paths":[...]}` or `{"token":T2,"full":"reason"}`; `{"op":"status"}` → `MonitorStatus`;
 * `{"op":"stop"}` → `{"stopping":true}`, then the process exits; `{"op":"run",…}`: the monitor runs a
 * command for the client (hosted-command.ts) when it was given a host to run them with.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, rmSync, statSync, watch, writeFileSync, type FSWatcher } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import type { CommandHost, HostFrame, HostedTerminal, RunRequest } from "./hosted-command.js";
import { WorkspaceWatcher } from "./workspace-watcher.js";

export interface MonitorStatus {
  root: string;
  pid: number;
  started: string;
  /** folders watched (0 when the monitor could not watch and every answer is "full") */
  folders: number;
  /** paths reported since the monitor started, and those it holds now */
  changes: number;
  held: number;
  /** why every answer is "full" for now, if it is */
  degraded: string | null;
  /** commands it has run for clients (hosted-command.ts) */
  commands: number;
}

export type MonitorAnswer = { token: string; paths: string[] } | { token: string; full: string };

/** More distinct changed paths than this and the oldest tokens are given up ("full"). */
const MAX_HELD_PATHS = 200_000;
/** How long a query waits for its cookie's event before answering "full". */
const COOKIE_TIMEOUT_MS = 2_000;
/** How often events are taken from the watcher when nobody asks (keeps a folder's watch prompt). */
const DRAIN_EVERY_MS = 250;

export class FsMonitor {
  private readonly instance = randomUUID();
  private readonly watcher: WorkspaceWatcher;
  private readonly cookies: FSWatcher;
  private readonly waiting = new Map<string, () => void>();
  private readonly drainTimer: NodeJS.Timeout;
  /** path → the sequence number of its latest change */
  private readonly changed = new Map<string, number>();
  private seq = 0;
  /** tokens at or below this are not honoured (something was lost at that point) */
  private floor = 0;
  private floorReason = "the monitor has just started";
  private cookieCount = 0;
  private reported = 0;
  /** commands run for clients, counted by serveMonitor */
  commands = 0;
  private readonly started = new Date().toISOString();

  constructor(
    readonly root: string,
    private readonly cookieDir: string,
  ) {
    mkdirSync(cookieDir, { recursive: true, mode: 0o700 });
    // the cookie folder is watched first, by the same process, so both share one ordered event queue
    this.cookies = watch(cookieDir, { persistent: true }, (_e, name) => this.onCookie(name));
    this.watcher = new WorkspaceWatcher(root, { quietMs: 0 });
    this.drainTimer = setInterval(() => this.drain(), DRAIN_EVERY_MS);
    // everything before this moment is unknown: the first token issued after it is a baseline
    this.floor = ++this.seq;
  }

  /** The answer to "what changed since `token`", after the barrier. */
  async since(token: string | null): Promise<MonitorAnswer> {
    const synced = await this.barrier();
    this.drain();
    const current = `${this.instance}:${++this.seq}`;
    if (!synced) return this.lose("the monitor's own cookie did not come back in time", current);
    if (this.watcher.polling)
      return { token: current, full: this.watcher.fallbackReason ?? "the monitor is polling" };
    const given = parseToken(token);
    if (!given) return { token: current, full: "no earlier answer to build on" };
    if (given.instance !== this.instance) return { token: current, full: "the monitor was restarted" };
    if (given.seq < this.floor) return { token: current, full: this.floorReason };
    const paths: string[] = [];
    for (const [path, seq] of this.changed) if (seq > given.seq) paths.push(path);
    return { token: current, paths };
  }

  status(): MonitorStatus {
    return {
      root: this.root,
      pid: process.pid,
      started: this.started,
      folders: this.watcher.polling ? 0 : this.watcher.folderCount,
      changes: this.reported,
      held: this.changed.size,
      degraded: this.watcher.polling ? (this.watcher.fallbackReason ?? "polling") : null,
      commands: this.commands,
    };
  }

  close(): void {
    clearInterval(this.drainTimer);
    this.watcher.close();
    this.cookies.close();
    for (const done of this.waiting.values()) done();
    rmSync(this.cookieDir, { recursive: true, force: true });
  }

  /** Takes what the watcher saw: each path gets the next sequence number; a "full" batch loses the past. */
  private drain(): void {
    const batch = this.watcher.drain();
    if (!batch) return;
    // a new folder is not watched yet: watch it, and give up the past (what was written in it meanwhile)
    const folder = batch.full ? undefined : [...batch.paths].find((p) => isFolder(join(this.root, p)));
    if (batch.full || folder !== undefined) {
      this.watcher.resync();
      this.floor = ++this.seq;
      this.floorReason = `${batch.full ? batch.reason : `folder ${folder} appeared`} since the last answer`;
      this.changed.clear();
      return;
    }
    for (const path of batch.paths) {
      this.changed.delete(path); // re-inserted last: the map stays in sequence order
      this.changed.set(path, ++this.seq);
      this.reported++;
    }
    if (this.changed.size > MAX_HELD_PATHS) {
      this.floor = ++this.seq;
      this.floorReason = "more changes than the monitor holds";
      this.changed.clear();
    }
  }

  private lose(reason: string, token: string): MonitorAnswer {
    this.floor = ++this.seq;
    this.floorReason = reason;
    return { token, full: reason };
  }

  private barrier(): Promise<boolean> {
    const name = `cookie-${process.pid}-${++this.cookieCount}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(name);
        resolve(false);
      }, COOKIE_TIMEOUT_MS);
      this.waiting.set(name, () => {
        clearTimeout(timer);
        resolve(true);
      });
      try {
        writeFileSync(join(this.cookieDir, name), "");
      } catch {
        clearTimeout(timer);
        this.waiting.delete(name);
        resolve(false);
      }
    });
  }

  private onCookie(name: string | Buffer | null): void {
    if (name === null) return;
    const cookie = name.toString();
    const done = this.waiting.get(cookie);
    if (!done) return;
    this.waiting.delete(cookie);
    rmSync(join(this.cookieDir, cookie), { force: true });
    done();
  }
}

function isFolder(abs: string): boolean {
  try {
    return statSync(abs).isDirectory();
  } catch {
    return false;
  }
}

function parseToken(token: string | null): { instance: string; seq: number } | null {
  const m = token === null ? null : /^([0-9a-f-]{36}):(\d{1,15})$/.exec(token);
  return m ? { instance: m[1] as string, seq: Number(m[2]) } : null;
}

/** Largest request line accepted: a command to run carries the client's environment; others are tiny. */
const MAX_REQUEST_BYTES = 1024 * 1024;

/**
 * Serves a monitor on a Unix socket until it is asked to stop, its workspace goes away, or it gets SIGTERM;
 * resolves when it has stopped. The socket's folder is the caller's (mode 0700: only this user may ask).
 */
export function serveMonitor(monitor: FsMonitor, socketPath: string, host?: CommandHost): Promise<void> {
  return new Promise((resolve, reject) => {
    const sockets = new Set<Socket>();
    let server: Server | undefined = undefined;
    const stop = (): void => {
      clearInterval(rootCheck);
      monitor.close();
      server?.close(() => resolve());
      for (const s of sockets) s.destroy();
    };
    let socketIno: bigint | undefined;
    const rootCheck = setInterval(() => {
      try {
        statSync(monitor.root);
        // another monitor took the socket's place (two started at once): this one is unreachable, so it goes
        if (socketIno !== undefined && statSync(socketPath, { bigint: true }).ino !== socketIno) stop();
      } catch {
        stop(); // the workspace, or the socket, is gone: nobody can ask this monitor any more
      }
    }, 2_000);
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => socket.destroy());
      let buffered = "";
      /** the command this connection asked the monitor to run, once it has */
      let session: HostedSession | undefined;
      socket.on("data", (chunk: Buffer) => {
        buffered += chunk.toString("utf8");
        if (buffered.length > MAX_REQUEST_BYTES) {
          socket.destroy();
          return;
        }
        let nl: number;
        while ((nl = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (session) {
            session.fromClient(line);
            continue;
          }
          if (host && line.startsWith('{"op":"run"')) {
            session = new HostedSession(socket);
            void runFor(session, line, host);
            continue;
          }
          void answer(line).then(
            (reply) => {
              if (!socket.destroyed) socket.write(`${JSON.stringify(reply)}\n`);
              if ((reply as { stopping?: boolean }).stopping) setImmediate(stop);
            },
            () => socket.destroy(),
          );
        }
      });
    });
    const runFor = async (s: HostedSession, line: string, run: CommandHost): Promise<void> => {
      let request: RunRequest;
      try {
        request = parseRunRequest(line);
      } catch {
        s.send({ declined: "not a valid request" });
        s.end();
        return;
      }
      const declined = run.declines(request);
      if (declined !== null) {
        s.send({ declined });
        s.end();
        return;
      }
      s.tty = request.tty;
      s.send({ accepted: true });
      let exit: number;
      try {
        exit = await run.run(request, s);
      } catch {
        exit = 3;
      }
      monitor.commands++;
      s.send({ exit });
      s.end();
    };
    const answer = async (line: string): Promise<unknown> => {
      let req: { op?: unknown; token?: unknown };
      try {
        req = JSON.parse(line) as typeof req;
      } catch {
        return { error: "not JSON" };
      }
      if (req.op === "since") return monitor.since(typeof req.token === "string" ? req.token : null);
      if (req.op === "status") return monitor.status();
      if (req.op === "stop") return { stopping: true };
      return { error: "unknown op" };
    };
    server.on("error", (err) => {
      clearInterval(rootCheck);
      monitor.close();
      reject(err);
    });
    rmSync(socketPath, { force: true }); // a socket left by a monitor that was killed
    server.listen(socketPath, () => {
      socketIno = statSync(socketPath, { bigint: true }).ino;
    });
  });
}

/** One connection's command run: frames to the client, answers from it (hosted-command.ts). */
class HostedSession implements HostedTerminal {
  tty: RunRequest["tty"] = { stdin: false, stdout: false, stderr: false, columns: null };
  private readonly answers: ((line: string) => void)[] = [];
  private gone = false;

  constructor(private readonly socket: Socket) {
    socket.on("close", () => {
      this.gone = true;
      for (const answer of this.answers.splice(0)) answer("");
    });
  }

  send(frame: HostFrame): void {
    if (!this.gone && !this.socket.destroyed) this.socket.write(`${JSON.stringify(frame)}\n`);
  }

  end(): void {
    this.socket.end();
  }

  out(text: string): void {
    this.send({ out: text });
  }

  err(text: string): void {
    this.send({ err: text });
  }

  ask(question: string): Promise<string> {
    if (this.gone) return Promise.resolve("");
    return new Promise((resolve) => {
      this.answers.push(resolve);
      this.send({ ask: question });
    });
  }

  fromClient(line: string): void {
    let frame: { answer?: unknown };
    try {
      frame = JSON.parse(line) as typeof frame;
    } catch {
      return;
    }
    if (typeof frame.answer === "string") this.answers.shift()?.(frame.answer);
  }
}

/** A run request's fields, checked: anything else is refused before the command runs. */
function parseRunRequest(line: string): RunRequest {
  const r = JSON.parse(line) as Partial<Record<keyof RunRequest, unknown>>;
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");
  const tty = r.tty as Partial<RunRequest["tty"]> | undefined;
  if (
    r.op !== "run" ||
    typeof r.build !== "string" ||
    !strings(r.argv) ||
    typeof r.cwd !== "string" ||
    typeof r.env !== "object" ||
    r.env === null ||
    !Object.values(r.env).every((v) => typeof v === "string") ||
    typeof tty !== "object" ||
    tty === null
  )
    throw new Error("not a run request");
  return {
    op: "run",
    build: r.build,
    argv: r.argv,
    cwd: r.cwd,
    env: r.env as Record<string, string>,
    tty: {
      stdin: tty.stdin === true,
      stdout: tty.stdout === true,
      stderr: tty.stderr === true,
      columns: typeof tty.columns === "number" ? tty.columns : null,
    },
  };
}
