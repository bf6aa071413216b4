/**
 * How much of the machine other processes used while the bench ran: the whole machine's busy CPU time
 * (/proc/stat) minus the bench's own, children included (/proc/self/stat utime + stime + cutime + cstime:
 * every process the bench started is waited for, and each waits for its own). Other engineers' builds and
 * tests on the same 2 cores make the figures noisy; this says by how much, instead of guessing. Kernel
 * threads count as "other" too, among them the disk writeback that the bench's own writes cause.
 */
import { readFileSync } from "node:fs";

interface Reading {
  at: number;
  machineBusy: number;
  ours: number;
}

/** Clock ticks (USER_HZ, the unit of both files), or null off Linux. */
function read(): Reading | null {
  try {
    const cpu =
      readFileSync("/proc/stat", "utf8").split("\n")[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    // user nice system idle iowait irq softirq steal
    const busy = [0, 1, 2, 5, 6, 7].reduce((n, i) => n + (cpu[i] ?? 0), 0);
    const self = readFileSync("/proc/self/stat", "utf8");
    const fields = self
      .slice(self.lastIndexOf(")") + 2)
      .split(" ")
      .map(Number);
    // after ")": state is field 3, so utime (14) .. cstime (17) are at 11..14
    const ours = [11, 12, 13, 14].reduce((n, i) => n + (fields[i] ?? 0), 0);
    return { at: performance.now(), machineBusy: busy, ours };
  } catch {
    return null;
  }
}

export interface Contention {
  seconds: number;
  /** average cores busy with anything else than the bench and the processes it started */
  otherCores: number;
  benchCores: number;
}

export class CpuContention {
  private readonly start = read();

  stop(): Contention | null {
    const end = read();
    if (!this.start || !end) return null;
    const seconds = (end.at - this.start.at) / 1000;
    const ticks = 100 * seconds; // USER_HZ is 100 on Linux
    const machine = (end.machineBusy - this.start.machineBusy) / ticks;
    const bench = (end.ours - this.start.ours) / ticks;
    return { seconds, otherCores: Math.max(0, machine - bench), benchCores: bench };
  }
}
