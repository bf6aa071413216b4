/**
 * The one error type of Caxton deploy. Every failure that a user or a peer can cause is a CaxtonError with a
 * stable code; the HTTP status, the default hint and the CLI exit code come from the table in error-codes.ts.
 */
import { ERROR_CODES, type ErrorCode } from "./error-codes.js";

export interface Diagnostic {
  path: string;
  line: number | null;
  column: number | null;
  severity: "error" | "warning";
  code: string;
  message: string;
  suggestion: string | null;
}

export interface CaxtonErrorOptions {
  hint?: string;
  /** Extra machine-readable detail, sent to the client in the JSON error body. */
  detail?: Record<string, unknown>;
  cause?: unknown;
}

export class CaxtonError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly detail: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: CaxtonErrorOptions = {}) {
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

  toJSON(): { code: ErrorCode; message: string; hint: string | null; detail?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      hint: this.hint ?? null,
      ...(this.detail ? { detail: this.detail } : {}),
    };
  }
}

export function isCaxtonError(err: unknown): err is CaxtonError {
  return err instanceof CaxtonError;
}
