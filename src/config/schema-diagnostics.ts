/**
 * Turns zod issues and unknown keys into positioned diagnostics. zod knows the path of a problem but not
 * where it is written; the position index knows where every path is written. This module joins the two and
 * words the message in TOML terms (tables, integers, floats) rather than JavaScript ones.
 */
import * as z from "zod";
import type { Diagnostic } from "../errors/caxton-error.js";
import { closestMatch } from "./did-you-mean.js";
import { makeDiagnostic, type DiagnosticCode } from "./diagnostic-codes.js";
import type { PathSegment, Position, PositionIndex } from "./position-index.js";
import { positionInString } from "./string-position.js";
import { displayPath, isTable, tomlTypeName, showValue, valueAt } from "./toml-values.js";

/** The codes one file kind uses for the generic problems. */
export interface SchemaCodes {
  missing: DiagnosticCode;
  type: DiagnosticCode;
  value: DiagnosticCode;
}

/**
 * Params a custom zod check attaches to its issue: the diagnostic code and suggestion. In the message,
 * `{key}` is replaced by the backquoted key path (zod gives checks the value, not where it is).
 */
export interface CheckParams {
  code: DiagnosticCode;
  suggestion?: string | null;
  /** For a problem inside a string value: the UTF-16 offset in the decoded string where it starts. */
  offset?: number;
}

export function addCheckIssue(
  ctx: z.RefinementCtx,
  code: DiagnosticCode,
  message: string,
  suggestion: string | null = null,
  offset?: number,
): void {
  const params: CheckParams = offset === undefined ? { code, suggestion } : { code, suggestion, offset };
  ctx.addIssue({ code: "custom", message, params });
}

const NOT_A_TABLE = Symbol("not a table");

/** A TOML table of the given shape. (zod's object alone would accept a Date, i.e. a TOML date-time.) */
export function table<S extends z.ZodRawShape>(shape: S) {
  return z.preprocess((v) => (v instanceof Date ? NOT_A_TABLE : v), z.object(shape));
}

export interface SchemaReport {
  diagnostics: Diagnostic[];
  /** Paths (as written) that a "missing key" suggestion already explains; not reported again as unknown. */
  explained: Set<string>;
}

export interface MapIssuesOptions {
  file: string;
  data: unknown;
  index: PositionIndex;
  codes: SchemaCodes;
  /** The source text, to place problems inside string values (`CheckParams.offset`). */
  text?: string;
  /**
   * Suggestion for a required key that is absent and not written elsewhere in the file. It may add the
   * paths its suggestion explains to `explained` (so they are not also reported as unknown keys).
   */
  missingHint?: (path: PathSegment[], explained: Set<string>) => string | null;
}

export function issuesToDiagnostics(issues: readonly z.core.$ZodIssue[], o: MapIssuesOptions): SchemaReport {
  const out: SchemaReport = { diagnostics: [], explained: new Set() };
  for (const issue of issues) {
    const path = issue.path.filter((p): p is PathSegment => typeof p === "string" || typeof p === "number");
    const raw = valueAt(o.data, path);
    const key = `\`${displayPath(path)}\``;
    const at = o.index.nearest(path, "value");
    if (raw === undefined && (issue.code === "invalid_type" || issue.code === "invalid_value")) {
      out.diagnostics.push(
        missingKey(path, issue.code === "invalid_type" ? issue.expected : "enum", o, out.explained),
      );
      continue;
    }
    switch (issue.code) {
      case "invalid_type": {
        if (typeof raw === "number" && !Number.isFinite(raw)) {
          out.diagnostics.push(
            makeDiagnostic(
              o.file,
              at,
              o.codes.value,
              `${key} must be a finite number, found ${showValue(raw)}`,
            ),
          );
        } else {
          const expected = EXPECTED[issue.expected] ?? issue.expected;
          // `4000.0` where an integer is required: say how to write it.
          const hint =
            issue.expected === "bigint" && typeof raw === "number" && Number.isInteger(raw)
              ? `write ${raw} without a decimal point`
              : null;
          out.diagnostics.push(
            makeDiagnostic(
              o.file,
              at,
              o.codes.type,
              `${key} must be ${expected}, found ${tomlTypeName(raw)}`,
              hint,
            ),
          );
        }
        break;
      }
      case "invalid_value": {
        const choices = issue.values.map((v) => JSON.stringify(v)).join(", ");
        const close =
          typeof raw === "string"
            ? closestMatch(
                raw,
                issue.values.filter((v) => typeof v === "string"),
              )
            : undefined;
        out.diagnostics.push(
          makeDiagnostic(
            o.file,
            at,
            o.codes.value,
            `${key} must be one of ${choices}, found ${showValue(raw)}`,
            close === undefined ? null : `did you mean ${JSON.stringify(close)}?`,
          ),
        );
        break;
      }
      case "custom": {
        const params = (issue.params ?? {}) as Partial<CheckParams>;
        const inside =
          params.offset !== undefined && o.text !== undefined && typeof raw === "string"
            ? positionInString(o.text, at, params.offset)
            : at;
        out.diagnostics.push(
          makeDiagnostic(
            o.file,
            inside,
            params.code ?? o.codes.value,
            issue.message.replaceAll("{key}", key),
            params.suggestion ?? null,
          ),
        );
        break;
      }
      default:
        // Not produced by our schemas (they use custom checks for ranges and formats); kept as a safety net.
        out.diagnostics.push(makeDiagnostic(o.file, at, o.codes.value, `${key}: ${issue.message}`));
    }
  }
  return out;
}

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  bigint: "an integer",
  boolean: "a boolean",
  array: "an array",
  object: "a table",
  record: "a table",
  date: "a date-time",
};

/**
 * A required key is absent. The error points at the table header (line 1 column 1 at the top level), unless
 * the key is written elsewhere in the file, usually because it came after a `[table]` header; then it points
 * at that key and says how to move it.
 */
function missingKey(
  path: PathSegment[],
  expected: string,
  o: MapIssuesOptions,
  explained: Set<string>,
): Diagnostic {
  const parent = path.slice(0, -1);
  const name = path[path.length - 1];
  const isTableKey = expected === "object" || expected === "record";
  const message = isTableKey
    ? `missing required table \`[${displayPath(path)}]\``
    : `missing required key \`${displayPath(path)}\``;
  if (typeof name === "string") {
    const stray = findStray(o.index, path);
    if (stray) {
      explained.add(JSON.stringify(stray.path));
      return makeDiagnostic(o.file, stray.key, o.codes.missing, message, strayHint(o.index, path, stray));
    }
  }
  const at: Position = parent.length === 0 ? { line: 1, column: 1 } : o.index.nearest(parent, "key");
  return makeDiagnostic(o.file, at, o.codes.missing, message, o.missingHint?.(path, explained) ?? null);
}

/** The first `key = value` whose last key is the missing key's name but whose table is another one. */
function findStray(
  index: PositionIndex,
  path: PathSegment[],
): { path: PathSegment[]; key: Position } | undefined {
  const name = path[path.length - 1];
  const want = JSON.stringify(path);
  for (const e of index.entries()) {
    if (e.kind !== "key" || e.path[e.path.length - 1] !== name) continue;
    if (JSON.stringify(e.path) === want) continue;
    return { path: e.path, key: e.key };
  }
  return undefined;
}

function strayHint(
  index: PositionIndex,
  want: PathSegment[],
  stray: { path: PathSegment[]; key: Position },
): string {
  const name = String(want[want.length - 1]);
  const wantParent = want.slice(0, -1);
  const strayParent = stray.path.slice(0, -1);
  const header = headerAbove(index, strayParent);
  const where = header
    ? `\`${name}\` on line ${stray.key.line} comes after the ${header.text} header on line ${header.line}, so TOML reads it as \`${displayPath(stray.path)}\``
    : strayParent.length === 0
      ? `\`${name}\` on line ${stray.key.line} is at the top level`
      : `\`${name}\` on line ${stray.key.line} is read as \`${displayPath(stray.path)}\``;
  if (wantParent.length === 0) {
    const first = index.firstHeader();
    return first
      ? `${where}; move it above the first table header (line ${first.key.line})`
      : `${where}; write it at the top level`;
  }
  const target = `[${displayPath(wantParent)}]`;
  const targetHeader = index.get(wantParent);
  return targetHeader && targetHeader.kind === "table"
    ? `${where}; move it below the ${target} header (line ${targetHeader.key.line})`
    : `${where}; put it in a ${target} table`;
}

/** The `[header]` that a key under `tablePath` was written below, if that table comes from a header. */
function headerAbove(
  index: PositionIndex,
  tablePath: PathSegment[],
): { text: string; line: number } | undefined {
  if (tablePath.length === 0) return undefined;
  const e = index.get(tablePath);
  if (!e || e.kind !== "table") return undefined;
  const last = tablePath[tablePath.length - 1];
  const text =
    typeof last === "number" ? `[[${displayPath(tablePath.slice(0, -1))}]]` : `[${displayPath(tablePath)}]`;
  return { text, line: e.key.line };
}

/**
 * Known keys of a table: each maps to the known keys of its sub-table, `null` for a plain value, or `OPEN`
 * for a table whose keys are free (`[parameters]`). `each` applies to every key (a table of named entries).
 */
export interface KeyTree {
  keys?: Record<string, KeyTree | null>;
  each?: KeyTree;
  open?: boolean;
}

export const OPEN: KeyTree = { open: true };

export interface UnknownKeyOptions {
  file: string;
  data: unknown;
  index: PositionIndex;
  tree: KeyTree;
  explained: Set<string>;
}

/** W_UNKNOWN_KEY for every key the tree does not know (not descending into unknown tables). */
export function unknownKeyWarnings(o: UnknownKeyOptions): Diagnostic[] {
  const out: Diagnostic[] = [];
  const topLevel = Object.keys(o.tree.keys ?? {});
  const walk = (value: unknown, tree: KeyTree, path: PathSegment[]): void => {
    if (tree.open || !isTable(value)) return;
    for (const k of Object.keys(value)) {
      const child = [...path, k];
      const sub = tree.each ?? (tree.keys && Object.hasOwn(tree.keys, k) ? tree.keys[k] : undefined);
      if (sub === undefined) {
        if (!o.explained.has(JSON.stringify(child)))
          out.push(unknownKey(o, child, Object.keys(tree.keys ?? {}), topLevel));
      } else if (sub !== null) {
        walk(value[k], sub, child);
      }
    }
  };
  walk(o.data, o.tree, []);
  return out;
}

function unknownKey(
  o: UnknownKeyOptions,
  path: PathSegment[],
  siblings: string[],
  topLevel: string[],
): Diagnostic {
  const name = String(path[path.length - 1]);
  const at = o.index.nearest(path, "key");
  const message = `unknown key \`${displayPath(path)}\``;
  const parent = path.slice(0, -1);
  let suggestion: string | null = null;
  const close = closestMatch(name, siblings);
  if (parent.length > 0 && topLevel.includes(name)) {
    // A top-level key written after a table header: TOML put it in that table.
    const header = headerAbove(o.index, parent);
    const first = o.index.firstHeader();
    suggestion = header
      ? `\`${name}\` is a top-level key, but it comes after the ${header.text} header on line ${header.line}; move it above the first table header (line ${first?.key.line ?? header.line})`
      : `\`${name}\` is a top-level key; write it at the top level`;
  } else if (close !== undefined) {
    suggestion = `did you mean \`${close}\`?`;
  }
  return makeDiagnostic(o.file, at, "W_UNKNOWN_KEY", message, suggestion);
}
