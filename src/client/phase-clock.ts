/**
 * The phases of one deploy, timed for `deploy --json` (docs/cli.md): discovery (scan, hash, the base, the
 * negotiation), validation (local, plus the server's share), transfer (the upload, minus the server's
 * validation and apply), apply (the server's). One clock per deploy; each phase boundary is marked once
 * where it happens instead of in variables scattered over the flow.
 */
import type { DeployResult } from "../protocol/messages.js";
import { roundMs } from "../protocol/round-ms.js";

export interface DeployPhases {
  discovery_ms: number;
  validation_ms: number;
  /** the server's part of validation_ms (its parse cache makes it proportional to the change) */
  server_validation_ms: number;
  transfer_ms: number;
  apply_ms: number;
}

export class PhaseClock {
  private readonly t0 = performance.now();
  private validationMs = 0;
  private discoveryMs = 0;
  /** when the last upload started; null while nothing was sent */
  private transferStart: number | null = null;

  /** Times local validation; what it takes is not discovery. */
  async validation<T>(run: () => Promise<T>): Promise<T> {
    const v0 = performance.now();
    try {
      return await run();
    } finally {
      this.validationMs += performance.now() - v0;
    }
  }

  /** Discovery ends when what to send is known (the last call wins: a fallback discovers again). */
  endDiscovery(): void {
    this.discoveryMs = performance.now() - this.t0 - this.validationMs;
  }

  startTransfer(): void {
    this.transferStart = performance.now();
  }

  elapsedMs(): number {
    return roundMs(performance.now() - this.t0);
  }

  /** The phases, once the server's result is in. */
  phases(result: DeployResult): DeployPhases {
    const transferMs =
      this.transferStart === null
        ? 0
        : performance.now() - this.transferStart - result.validation_ms - result.apply_ms;
    return {
      discovery_ms: roundMs(this.discoveryMs),
      validation_ms: roundMs(this.validationMs + result.validation_ms),
      server_validation_ms: result.validation_ms,
      transfer_ms: roundMs(Math.max(0, transferMs)),
      apply_ms: result.apply_ms,
    };
  }
}
