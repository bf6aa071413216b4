import binding from "zstd-napi/binding.js";

const { lowerBound, upperBound } = binding.cParamGetBounds(binding.CParameter.windowLog);

/**
 * zstd's windowLog for a patch-from delta: bit length of max(base, target) plus one, so the window covers the
 * whole dictionary and the whole target (base + target ≤ 2 × max < 2^(bits+1)); a smaller window cannot
 * reference the start of the base from the end of the target. Clamped to zstd's range (10..31 on 64-bit).
 */
export function deltaWindowLog(baseSize: number, targetSize: number): number {
  const largest = Math.max(baseSize, targetSize, 0);
  const bits = largest === 0 ? 0 : largest.toString(2).length;
  return Math.min(upperBound, Math.max(lowerBound, bits + 1));
}
