import { BODY_MAX_COMPRESSION_LEVEL } from "./zstd-body-defaults.js";

/**
 * Levels 1..19 only: above 19 zstd uses windows of 2^25..2^27 bytes, which our decoders refuse by default
 * (BODY_WINDOW_LOG_MAX); negative "fast" levels are not worth their ratio on a network.
 */
export function checkBodyLevel(level: number): void {
  if (!Number.isInteger(level) || level < 1 || level > BODY_MAX_COMPRESSION_LEVEL) {
    throw new RangeError(`zstd body level must be an integer 1..${BODY_MAX_COMPRESSION_LEVEL}, got ${level}`);
  }
}
