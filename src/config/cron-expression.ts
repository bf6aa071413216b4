/**
 * Five-field cron expressions (`minute hour day-of-month month day-of-week`), as Caxton's agent-format guide
 * writes `[schedule] cron`: `*`, values, ranges `a-b`, steps `*\/n` and `a-b/n`, lists `a,b`, and the names
 * JAN-DEC and SUN-SAT (any case). Written by hand rather than with a cron library because the point is the
 * message: which field is wrong, where it is in the string, and what it should look like; cron parsers
 * throw one generic error and also accept forms Caxton's scheduler would not (seconds, `?`, `L`, `W`).
 */
import { closestMatch } from "./did-you-mean.js";

export interface CronProblem {
  /** UTF-16 offset in the expression of the wrong field (0 when the whole expression is wrong). */
  offset: number;
  message: string;
  suggestion: string | null;
}

interface FieldRule {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** The number the first name stands for. */
  namesFrom?: number;
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] as const;
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] as const;

export const CRON_FIELDS: readonly FieldRule[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTHS, namesFrom: 1 },
  { name: "day of week", min: 0, max: 7, names: DAYS, namesFrom: 0 },
];

/** The five-field form of the usual `@` shortcuts, for the suggestion. */
const MACROS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

const FORM = "five fields: minute hour day-of-month month day-of-week";

/** The first problem of a cron expression, or null when it is valid. */
export function checkCron(expr: string): CronProblem | null {
  const fields: { text: string; offset: number }[] = [];
  for (const m of expr.matchAll(/\S+/g)) fields.push({ text: m[0], offset: m.index });
  const macro = MACROS[expr.trim().toLowerCase()];
  if (macro !== undefined)
    return {
      offset: fields[0]?.offset ?? 0,
      message: `{key} must be ${FORM}, found the shortcut ${JSON.stringify(expr.trim())}`,
      suggestion: `write ${JSON.stringify(macro)}`,
    };
  if (fields.length !== 5) {
    return {
      offset: fields[0]?.offset ?? 0,
      message: `{key} must have ${FORM}; found ${fields.length} field${fields.length === 1 ? "" : "s"}`,
      suggestion:
        fields.length === 6
          ? "seconds are not supported: drop the first field"
          : 'e.g. "0 8 * * MON" (every Monday at 08:00)',
    };
  }
  for (let f = 0; f < 5; f++) {
    const field = fields[f] as { text: string; offset: number };
    const rule = CRON_FIELDS[f] as FieldRule;
    const problem = checkField(field.text, rule);
    if (problem !== null)
      return {
        offset: field.offset,
        message: `{key} field ${f + 1} (${rule.name}): ${problem.message}`,
        suggestion: problem.suggestion,
      };
  }
  return null;
}

function checkField(text: string, rule: FieldRule): { message: string; suggestion: string | null } | null {
  const allowed = rule.names
    ? `${rule.min}-${rule.max} or ${rule.names[0]}-${rule.names[rule.names.length - 1]}`
    : `${rule.min}-${rule.max}`;
  for (const item of text.split(",")) {
    if (item === "") return { message: "empty list item", suggestion: "remove the extra comma" };
    const [base, step, extra] = item.split("/");
    if (extra !== undefined || base === undefined || base === "")
      return {
        message: `${JSON.stringify(item)} is not a value, range or step`,
        suggestion: `use ${allowed}, *, a-b or */n`,
      };
    if (step !== undefined) {
      if (!/^\d+$/.test(step) || Number(step) < 1 || Number(step) > rule.max)
        return {
          message: `step ${JSON.stringify(step)} must be an integer from 1 to ${rule.max}`,
          suggestion: null,
        };
    }
    if (base === "*") continue;
    const ends = base.split("-");
    if (ends.length > 2)
      return { message: `${JSON.stringify(base)} is not a value or range`, suggestion: `use ${allowed}` };
    const values: number[] = [];
    for (const end of ends) {
      const v = value(end, rule);
      if (typeof v !== "number") {
        const close = rule.names ? closestMatch(end.toUpperCase(), rule.names) : undefined;
        return {
          message: `${JSON.stringify(end)} is not ${allowed}`,
          suggestion: close !== undefined ? `did you mean ${close}?` : null,
        };
      }
      values.push(v);
    }
    const [a, b] = values as [number, number | undefined];
    if (b !== undefined && b < a)
      return {
        message: `range ${JSON.stringify(base)} runs backwards`,
        suggestion: `write ${ends[1]}-${ends[0]}`,
      };
  }
  return null;
}

function value(text: string, rule: FieldRule): number | null {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n >= rule.min && n <= rule.max ? n : null;
  }
  const at = rule.names?.indexOf(text.toUpperCase()) ?? -1;
  return at >= 0 ? at + (rule.namesFrom ?? 0) : null;
}
