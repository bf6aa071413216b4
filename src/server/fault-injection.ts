/**
 * Test-only fault injection through the durability port: CAXTON_FAULT_CRASH_AT=<step> makes the server die
 * with SIGKILL at that step of a transaction; CAXTON_FAULT_ENOSPC_AT=<step> makes it fail there as a full
 * disk would. Unset in production: the real port runs unchanged.
 */
import { realDurability, type DurabilityPort, type DurabilityStep } from "../store/durable-fs.js";

export function faultInjectionFromEnv(env: NodeJS.ProcessEnv): DurabilityPort {
  const crashAt = env.CAXTON_FAULT_CRASH_AT;
  const enospcAt = env.CAXTON_FAULT_ENOSPC_AT;
  if (!crashAt && !enospcAt) return realDurability;
  return {
    ...realDurability,
    step(name: DurabilityStep): void {
      if (name === crashAt) process.kill(process.pid, "SIGKILL");
      if (name === enospcAt) {
        throw Object.assign(new Error(`ENOSPC: no space left on device (injected at ${name})`), {
          code: "ENOSPC",
        });
      }
    },
  };
}
