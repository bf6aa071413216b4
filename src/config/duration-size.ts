/**
 * Durations (`"100ms"`, `"5m"`, `"30d"`, `"1y"`) and sizes (`"100MB"`) as Caxton's agent-format guide writes
 * them: a positive integer and a unit, no space. Pure parsing; the schema turns a null into a diagnostic.
 */

export const DURATION_UNITS = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
} as const;
export const SIZE_UNITS = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
} as const;

export type DurationUnit = keyof typeof DURATION_UNITS;
export type SizeUnit = keyof typeof SIZE_UNITS;

/** Largest amount accepted (u32), so every value converts exactly to milliseconds or bytes as a double. */
const MAX_AMOUNT = 4294967295;

function parseQuantity<U extends string>(s: string, units: Record<U, number>): number | null {
  const m = /^(\d+)([A-Za-z]+)$/.exec(s);
  if (!m) return null;
  const amount = Number(m[1]);
  const unit = m[2] as string;
  if (!Object.hasOwn(units, unit) || amount < 1 || amount > MAX_AMOUNT) return null;
  return amount * units[unit as U];
}

/** Milliseconds, or null if `s` is not a positive integer followed by ms, s, m, h, d, w or y. */
export function parseDuration(s: string): number | null {
  return parseQuantity(s, DURATION_UNITS);
}

/** Bytes, or null if `s` is not a positive integer followed by B, KB, MB, GB, TB, KiB, MiB, GiB or TiB. */
export function parseSize(s: string): number | null {
  return parseQuantity(s, SIZE_UNITS);
}

/** How a near-miss should be written (`"100 mb"` → `"100MB"`, `"5 min"` → `"5m"`), or null. */
export function fixQuantity(s: string, kind: "duration" | "size"): string | null {
  const m = /^\s*(\d+)\s*([A-Za-z]+)\s*$/.exec(s);
  if (!m) return null;
  const [, amount, unit] = m as unknown as [string, string, string];
  if (Number(amount) < 1) return null;
  const names: readonly string[] = Object.keys(kind === "duration" ? DURATION_UNITS : SIZE_UNITS);
  const words: Record<string, string> =
    kind === "duration"
      ? {
          sec: "s",
          secs: "s",
          second: "s",
          seconds: "s",
          min: "m",
          mins: "m",
          minute: "m",
          minutes: "m",
          hr: "h",
          hour: "h",
          hours: "h",
          day: "d",
          days: "d",
          week: "w",
          weeks: "w",
          year: "y",
          years: "y",
        }
      : { b: "B", bytes: "B" };
  const fixed =
    names.find((n) => n === unit) ??
    words[unit.toLowerCase()] ??
    names.find((n) => n.toLowerCase() === unit.toLowerCase());
  const out = fixed === undefined ? null : `${amount}${fixed}`;
  return out !== null && out !== s && (kind === "duration" ? parseDuration(out) : parseSize(out)) !== null
    ? out
    : null;
}
