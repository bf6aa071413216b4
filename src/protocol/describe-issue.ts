/**
 * A schema failure as one sentence of ours: the first problem, with the field it is in. zod's own message
 * for an error is a multi-line JSON dump of every issue, which no peer or user should see.
 */
interface IssueLike {
  path: readonly PropertyKey[];
  message: string;
}

export function describeIssue(error: { issues: readonly IssueLike[] }): string {
  const first = error.issues[0];
  if (!first) return "it does not have the expected shape";
  const field = first.path.map((p) => (typeof p === "number" ? `[${p}]` : String(p))).join(".");
  const what = first.message.replace(/\s+/g, " ").trim().slice(0, 200);
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem(s))` : "";
  return `${field ? `field ${JSON.stringify(field)}` : "the value"}: ${lowerFirst(what)}${more}`;
}

function lowerFirst(s: string): string {
  return s.length > 0 ? s[0]!.toLowerCase() + s.slice(1) : s;
}
