/** When a file travels as a delta: the size limits, eligibility and the send-or-not rule (no zstd here). */

/**
 * Size limits of the binary-delta path (see README.md for the measurements behind them).
 *
 * Patch-from needs the whole base and the whole target in memory on both sides: zstd's dictionary is one
 * contiguous buffer and the decoder writes the target into one buffer that the base is referenced from.
 * Measured with zstd-napi 0.0.13 (zstd 1.5.7), level 2, pseudo-random files:
 *   create: peak RSS = base + target + ~1.2 × size (zstd copies the dictionary and builds its tables);
 *           for 32 MiB: 158 MB total RSS, from 45 MB idle.
 *   apply:  peak RSS = base + output + up to one more output of garbage from the growing retries;
 *           for 32 MiB: +67 MB over base and delta, 31 ms.
 * The issue bounds each process at 300 MB RSS; at 32 MiB the client peaks near 160 MB, leaving room for
 * the rest of the deploy. Above the limit a file is sent whole, streamed, so its size never matters.
 */

/** A file smaller than this is always sent whole: a delta saves at most a few KB and costs a round trip. */
export const DELTA_MIN_TARGET_BYTES = 10 * 1024;

/** Base and target must both be at most this size for a delta; larger files are sent whole and streamed. */
export const DELTA_MAX_BYTES = 32 * 1024 * 1024;

/**
 * A delta is sent only when it is at most this fraction of the target's raw size ("clearly smaller").
 * Why raw size: patch-from against an unhelpful base degenerates into plain zstd of the target (measured:
 * 50 KB unrelated text, delta 15 054 B vs zstd -3 of the whole 14 220 B), so a delta is never much larger than
 * the compressed whole. A delta above half the raw size therefore means "the base barely helped and the content
 * is hard to compress": whole content then costs about the same bytes and spares the server loading the base.
 */
export const DELTA_MAX_RATIO = 0.5;

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

/**
 * Whether a computed delta is worth sending instead of the whole content: only when it is at most half the
 * target's raw size (DELTA_MAX_RATIO, see delta-limits.ts for why raw size) and the target is at least 10 KB.
 */
export function shouldSendDelta(targetSize: number, deltaSize: number): boolean {
  if (targetSize < DELTA_MIN_TARGET_BYTES) return false;
  return deltaSize <= targetSize * DELTA_MAX_RATIO;
}
