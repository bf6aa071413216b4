/** Median and spread of repeated measurements. */
export interface Stats {
  median: number;
  min: number;
  max: number;
  n: number;
}

/** null when there is nothing to summarise (e.g. a field a command does not report). */
export function sampleStats(values: readonly (number | null | undefined)[]): Stats | null {
  const v = values
    .filter((x): x is number => typeof x === "number" && Number.isFinite(x))
    .sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 === 1 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
  return { median, min: v[0] as number, max: v[v.length - 1] as number, n: v.length };
}

/** The p-th percentile (0–100) by nearest rank; null when there is nothing to summarise. */
export function percentile(values: readonly number[], p: number): number | null {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))] as number;
}
