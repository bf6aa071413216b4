/**
 * A full garbage collection at a phase boundary of a large deploy. V8 lets the old space grow well past
 * the live data before it collects: a first deploy of 100,000 files peaked at 317-383 MB RSS with ~150 MB
 * live. Collecting after the scan and after the upload keeps the peak near the live size, for ~60 ms per
 * collection; small workspaces never pay it.
 */
import { createRequire } from "node:module";
import { setFlagsFromString } from "node:v8";
import type * as Vm from "node:vm";

export const LARGE_WORKSPACE_FILES = 20_000;

let gc: (() => void) | undefined;

export function compactHeap(): void {
  if (!gc) {
    // --expose-gc at run time: the documented way to reach gc() without a command-line flag
    setFlagsFromString("--expose-gc");
    // node:vm only for a large deploy, the one kind that collects
    const vm = createRequire(import.meta.url)("node:vm") as typeof Vm;
    gc = vm.runInNewContext("gc") as () => void;
  }
  gc();
}

/**
 * A smaller young generation for large deploys: V8 grows each semi-space to 16 MiB, and with 100,000 files
 * the client's peak RSS went 303 -> 261 MB with 4 MiB (measured), at no measurable cost in time (scavenges
 * are more frequent but each is cheaper); small deploys never fill even the smaller young generation.
 */
export function limitYoungGeneration(): void {
  setFlagsFromString("--max-semi-space-size=4");
}
