import { DELTA_MAX_RATIO, DELTA_MIN_TARGET_BYTES } from "./delta-limits.js";

/**
 * Whether a computed delta is worth sending instead of the whole content: only when it is at most half the
 * target's raw size (DELTA_MAX_RATIO, see delta-limits.ts for why raw size) and the target is at least 10 KB.
 */
export function shouldSendDelta(targetSize: number, deltaSize: number): boolean {
  if (targetSize < DELTA_MIN_TARGET_BYTES) return false;
  return deltaSize <= targetSize * DELTA_MAX_RATIO;
}
