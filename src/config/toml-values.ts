/**
 * Helpers for values as smol-toml returns them with `integersAsBigInt: true`: integers are bigint and
 * floats are number, which is what lets the schema tell `4000` (integer) from `4000.0` (float).
 */
import { parse } from "smol-toml";
import type { PathSegment } from "./position-index.js";

export type TomlTable = Record<string, unknown>;

/** The one way the validator parses TOML (integers as bigint; see above). Throws smol-toml's TomlError. */
export function parseToml(text: string): TomlTable {
  return parse(text, { integersAsBigInt: true }) as TomlTable;
}

export function isTable(v: unknown): v is TomlTable {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** The TOML name of a parsed value's type, for "must be X, found Y". */
export function tomlTypeName(v: unknown): string {
  if (typeof v === "string") return "string";
  if (typeof v === "bigint") return "integer";
  if (typeof v === "number") return "float";
  if (typeof v === "boolean") return "boolean";
  if (v instanceof Date) return "date-time";
  if (Array.isArray(v)) return "array";
  if (isTable(v)) return "table";
  return "nothing";
}

/** A value as it would be written in TOML (strings quoted), for messages. */
export function showValue(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "nan";
    if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
    return String(v);
  }
  if (typeof v === "bigint" || typeof v === "boolean") return String(v);
  return `a ${tomlTypeName(v)}`;
}

const BARE = /^[A-Za-z0-9_-]+$/;

/** `llm.temperature`, `capabilities[1]`, `servers."my server".url`. */
export function displayPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += (out === "" ? "" : ".") + (BARE.test(seg) ? seg : JSON.stringify(seg));
  }
  return out;
}

export function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  let v: unknown = data;
  for (const seg of path) {
    if (typeof seg === "number") {
      if (!Array.isArray(v)) return undefined;
      v = v[seg];
    } else {
      if (!isTable(v) || !Object.hasOwn(v, seg)) return undefined;
      v = v[seg];
    }
  }
  return v;
}

/**
 * Deep copy with bigints made JSON-safe: a number when exactly representable, else its decimal string
 * (free-form `[parameters]` are served as JSON by the read API; JSON has no bigint).
 */
export function jsonSafe(v: unknown): unknown {
  if (typeof v === "bigint") {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : v.toString();
  }
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (isTable(v)) {
    const out: TomlTable = {};
    for (const [k, x] of Object.entries(v)) {
      Object.defineProperty(out, k, {
        value: jsonSafe(x),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return v;
}
