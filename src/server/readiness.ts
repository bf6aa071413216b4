/**
 * `GET /ready`, for load balancers, beside `GET /health` (the process answers). Ready means: recovery has
 * run (the service is only constructed after it), the store is reachable (the live deployment resolves
 * through `current` and the history), and a deploy could be applied (the staging folder takes a file and
 * the disk has room). 200 with the checks when ready, 503 with the failing check named otherwise.
 */
import { statfsSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DeployService } from "./deploy-service.js";

/** Below this much free space a deploy of any size is likely to fail with ENOSPC. */
const MIN_FREE_BYTES = 16 * 1024 * 1024;

export const READINESS_CHECKS = ["recovered", "store", "writable", "disk_space"] as const;
export type ReadinessCheck = (typeof READINESS_CHECKS)[number];

export interface Readiness {
  ready: boolean;
  checks: Record<ReadinessCheck, { ok: boolean; detail: string }>;
}

export async function checkReadiness(service: DeployService): Promise<Readiness> {
  const checks = {} as Readiness["checks"];
  const run = async (name: ReadinessCheck, probe: () => string | Promise<string>): Promise<void> => {
    try {
      checks[name] = { ok: true, detail: await probe() };
    } catch (err) {
      checks[name] = { ok: false, detail: (err as Error).message };
    }
  };
  await run("recovered", () => {
    const { aborted, committed } = service.store.recovery;
    return `recovered at start (${committed.length} committed, ${aborted.length} aborted)`;
  });
  await run("store", async () => {
    const current = await service.current();
    return current ? `deployment ${current.deployment_id} is live` : "nothing deployed yet";
  });
  await run("writable", () => {
    const probe = join(service.store.tempDir, `.ready-${process.pid}`);
    writeFileSync(probe, "");
    unlinkSync(probe);
    return "the staging folder takes files";
  });
  await run("disk_space", () => {
    const fs = statfsSync(service.store.tempDir);
    const free = fs.bavail * fs.bsize;
    if (free < MIN_FREE_BYTES) throw new Error(`only ${free} bytes free in the data dir's file system`);
    return `${free} bytes free`;
  });
  return { ready: Object.values(checks).every((c) => c.ok), checks };
}
