/**
 * The one error type of Caxton deploy. Every failure that a user or a peer can cause is a CaxtonError with a
 * stable code; the HTTP status, the default hint and the CLI exit code come from the table in error-codes.ts,
 * and so does the shape of its `detail` (ErrorDetails). `CaxtonError<C>` is an error of code C;
 * `CaxtonError` is one of any code, and testing its `code` narrows its `detail`:
 *
 *   if (isCaxtonError(err) && err.code === "E_TOO_LARGE") err.detail; // E_TOO_LARGE's detail, or undefined
 */
import { ERROR_CODES, type ErrorCode, type ErrorDetail } from "./error-codes.js";

export interface Diagnostic {
  path: string;
  line: number | null;
  column: number | null;
  severity: "error" | "warning";
  code: string;
  message: string;
  suggestion: string | null;
}

export interface CaxtonErrorOptions<C extends ErrorCode = ErrorCode> {
  hint?: string;
  /** Extra machine-readable detail, sent to the client in the JSON error body. */
  detail?: ErrorDetail<C>;
  cause?: unknown;
}

/**
 * Marks every CaxtonError, whichever copy of this module made it: the CLI's entry and the rest of the CLI
 * are separate bundles (scripts/bundle.mjs), so an error from one is not an instance of the other's class.
 */
const BRAND = Symbol.for("caxton-deploy.error");

class CaxtonErrorOf<C extends ErrorCode> extends Error {
  readonly [BRAND] = true;
  readonly code: C;
  readonly hint: string | undefined;
  readonly detail: ErrorDetail<C> | undefined;

  constructor(code: C, message: string, options: CaxtonErrorOptions<C> = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CaxtonError";
    this.code = code;
    this.hint = options.hint ?? ERROR_CODES[code].hint;
    this.detail = options.detail;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].http;
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exit;
  }

  toJSON(): { code: C; message: string; hint: string | null; detail?: ErrorDetail<C> } {
    return {
      code: this.code,
      message: this.message,
      hint: this.hint ?? null,
      ...(this.detail ? { detail: this.detail } : {}),
    };
  }
}

/** An error of code C; of any code when C is left out (a union over the codes, so `code` narrows `detail`). */
export type CaxtonError<C extends ErrorCode = ErrorCode> = { [K in C]: CaxtonErrorOf<K> }[C];
export const CaxtonError = CaxtonErrorOf;

export function isCaxtonError(err: unknown): err is CaxtonError {
  return err instanceof Error && (err as { [BRAND]?: unknown })[BRAND] === true;
}
