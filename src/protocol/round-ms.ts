/** Durations on the wire and in reports: milliseconds to two decimals. */
export function roundMs(ms: number): number {
  return Math.round(ms * 100) / 100;
}
