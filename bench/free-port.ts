/**
 * A free TCP port on the loopback address, for daemons that cannot pick their own (git daemon, rsync
 * --daemon): bind port 0, read the number, close, and hand it over. Another process could take it in
 * between; callers retry with a new port when their daemon does not come up.
 */
import { connect, createServer } from "node:net";
import type { ChildProcess } from "node:child_process";
import { trackChild } from "./child-processes.js";

export const LOOPBACK = "127.0.0.1";

export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("bench: no free port"))));
    });
  });
}

/** Resolves true once something accepts connections on the port, false after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, LOOPBACK);
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}

/**
 * Starts a daemon on a free loopback port and waits until it accepts connections. The port is chosen
 * before the daemon binds it, so another process may take it meanwhile: up to `attempts` tries.
 */
export async function startOnFreePort(
  spawnAt: (port: number) => ChildProcess,
  attempts = 3,
): Promise<{ daemon: ChildProcess; port: number } | null> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = await freeLoopbackPort();
    const daemon = spawnAt(port);
    trackChild(daemon);
    const exited = new Promise<boolean>((r) => daemon.once("exit", () => r(false)));
    daemon.once("error", () => undefined);
    if (await Promise.race([waitForPort(port), exited])) return { daemon, port };
    daemon.kill("SIGKILL");
  }
  return null;
}
