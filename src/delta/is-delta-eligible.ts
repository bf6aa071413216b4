import { DELTA_MAX_BYTES, DELTA_MIN_TARGET_BYTES } from "./delta-limits.js";

/**
 * Whether a (base, target) pair may travel as a delta at all: the target is at least 10 KB and both fit the
 * in-memory limit. The client asks before reading the base; the server asks before loading a base a peer named,
 * so a delta frame can never make it read a 1 GB file into memory.
 */
export function isDeltaEligible(baseSize: number, targetSize: number): boolean {
  return (
    Number.isSafeInteger(baseSize) &&
    Number.isSafeInteger(targetSize) &&
    baseSize > 0 &&
    targetSize >= DELTA_MIN_TARGET_BYTES &&
    baseSize <= DELTA_MAX_BYTES &&
    targetSize <= DELTA_MAX_BYTES
  );
}
