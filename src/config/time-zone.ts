/**
 * IANA time zone names (`"America/New_York"`, `"UTC"`), checked with the ICU data Node ships (`Intl`), so no
 * zone list is copied into this code.
 */
import { closestMatch } from "./did-you-mean.js";

let known: string[] | undefined;

function zones(): string[] {
  known ??= [...Intl.supportedValuesOf("timeZone"), "UTC"];
  return known;
}

/** The canonical name ICU resolves `name` to, or null when ICU does not know it. */
function resolve(name: string): string | null {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(name)) return null; // ICU also accepts offsets such as "+01:00"
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/** Null when `name` is a time zone; else a message (with `{key}`) and a suggestion. */
export function checkTimeZone(name: string): { message: string; suggestion: string | null } | null {
  const resolved = resolve(name);
  if (resolved !== null && resolved.toLowerCase() !== name.toLowerCase()) return null; // an alias, e.g. US/Eastern
  if (resolved === name) return null;
  const suggestion = resolved ?? closestMatch(name, zones());
  return {
    message: `{key} must be an IANA time zone such as "UTC" or "America/New_York", found ${JSON.stringify(name)}`,
    suggestion: suggestion === undefined ? null : `did you mean ${JSON.stringify(suggestion)}?`,
  };
}
