/**
 * A command's failure with figures to report beside the error (`deploy --json` on rejection: round trips,
 * bytes, duration). Thrown by the command, printed by main.ts like any error, with the figures added.
 */
import type { CaxtonError } from "../errors/caxton-error.js";

export interface FailureFigures {
  round_trips?: number;
  bytes_sent?: number;
  bytes_received?: number;
  duration_ms?: number;
}

export class ReportedFailure extends Error {
  constructor(
    readonly error: CaxtonError,
    readonly figures: FailureFigures,
  ) {
    super(error.message);
    this.name = "ReportedFailure";
  }
}
