/**
 * The long-lived processes the bench started (servers, daemons, the measured command), so that an
 * interrupted bench (SIGINT, SIGTERM) stops exactly those, by pid, before it removes its temp folder.
 */
import type { ChildProcess } from "node:child_process";

const tracked = new Map<number, { child: ChildProcess; group: boolean }>();

/** Remembers `child` until it exits; `group`: it leads its own process group (spawned detached). */
export function trackChild(child: ChildProcess, group = false): void {
  const pid = child.pid;
  if (pid === undefined) return;
  tracked.set(pid, { child, group });
  child.once("exit", () => tracked.delete(pid));
}

/** SIGKILLs every tracked process that is still running (synchronous: safe in a signal handler). */
export function killTrackedChildren(): void {
  for (const [pid, { group }] of tracked) {
    try {
      process.kill(group ? -pid : pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  tracked.clear();
}
