/**
 * Checks a message against its zod schema. A failure is one sentence of ours naming the first problem and
 * where it is (`root: expected a string`), never zod's own dump of every issue.
 */
import { CaxtonError } from "../errors/caxton-error.js";
import type { ErrorCode } from "../errors/error-codes.js";

interface MessageSchema<T> {
  safeParse(
    v: unknown,
  ):
    | { success: true; data: T }
    | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } };
}

export function parseMessage<T>(
  schema: MessageSchema<T>,
  value: unknown,
  what: string,
  code: Extract<ErrorCode, "E_BAD_REQUEST" | "E_PROTOCOL"> = "E_BAD_REQUEST",
): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const [first] = r.error.issues;
  const where = first && first.path.length > 0 ? `${first.path.map(String).join(".")}: ` : "";
  const more = r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more problem(s))` : "";
  throw new CaxtonError(code, `${what}: ${where}${first?.message ?? "invalid"}${more}`);
}
