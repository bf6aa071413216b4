/**
 * One deploy's uploads: packs streamed to the server with progress, the objects and content bytes they
 * carried, and the retries the server's answer asks for (a delta it could not rebuild: the same objects
 * whole; objects it lacks: those, once).
 */
import { isCaxtonError } from "../errors/caxton-error.js";
import type { IfMatch } from "../protocol/if-match.js";
import type { DeployResult } from "../protocol/messages.js";
import type { ApiClient } from "./api-client.js";
import { compactHeap } from "./compact-heap.js";
import type { DeltaPlanner } from "./choose-delta.js";
import type { DeployPlan } from "./deploy-plan.js";
import { objectsFor } from "./deploy-objects.js";
import type { PackObject } from "./pack-stream.js";
import type { PhaseClock } from "./phase-clock.js";
import { explainTooLarge } from "./server-limits.js";

export type UploadProgress =
  | { phase: "upload"; sentBytes: number; totalBytes: number; objects: number }
  /** everything is sent: the server validates and applies, and answers when done */
  | { phase: "server" };

export interface UploadOptions {
  dryRun: boolean;
  force: boolean;
  /** let the server refuse a deployment that deletes every agent or over half of the live files */
  guardDeletions: boolean;
  guardBreaking: boolean;
  onProgress?: ((p: UploadProgress) => void) | undefined;
}

export class Uploader {
  /** objects sent, over every attempt */
  sentObjects = 0;
  /** their content bytes, before deltas (DeltaPlanner.savedBytes says what deltas saved) */
  sentContentBytes = 0;
  readonly sentHashes = new Set<string>();

  constructor(
    private readonly api: ApiClient,
    private readonly plan: DeployPlan,
    private readonly deltas: DeltaPlanner,
    private readonly clock: PhaseClock,
    private readonly options: UploadOptions,
  ) {}

  /** Sends the objects; when the server lacks others it was thought to hold (409), sends those too, once. */
  upload(objects: PackObject[]): Promise<DeployResult> {
    return this.sendWithRetry(objects, null);
  }

  /** The same, if the server still runs `base` (If-Match); null when it moved on (412). */
  async uploadOnto(objects: PackObject[], base: string): Promise<DeployResult | null> {
    try {
      return await this.sendWithRetry(objects, { live: "root", root: base });
    } catch (err) {
      if (isCaxtonError(err) && err.code === "E_BASE_MISMATCH") return null;
      throw err;
    }
  }

  private async sendWithRetry(objects: PackObject[], ifMatch: IfMatch): Promise<DeployResult> {
    try {
      return await this.send(objects, ifMatch);
    } catch (err) {
      if (!isCaxtonError(err)) throw err;
      // a delta the server could not rebuild: the same objects again, all whole (once)
      if (this.deltas.retryWholeAfter(err)) return this.sendWithRetry(objects, ifMatch);
      if (err.code !== "E_MISSING_OBJECTS") throw err;
      const missing = missingList(err.detail?.missing);
      this.deltas.refuse(missing); // e.g. a delta whose base the server lacks: whole this time
      return this.send(objectsFor(missing, this.plan.tree, this.plan.scan), ifMatch);
    }
  }

  private async send(objects: PackObject[], ifMatch: IfMatch): Promise<DeployResult> {
    this.clock.startTransfer();
    const totalBytes = objects.reduce((n, o) => n + (o.kind === "tree" ? o.bytes.length : o.size), 0);
    for (const o of objects) this.sentHashes.add(o.hash);
    this.sentObjects += objects.length;
    this.sentContentBytes += totalBytes;
    const onProgress = this.options.onProgress;
    let sentBytes = 0;
    const onBytes = onProgress
      ? (n: number) => {
          sentBytes += n;
          onProgress({
            phase: "upload",
            sentBytes: Math.min(sentBytes, totalBytes),
            totalBytes,
            objects: objects.length,
          });
        }
      : undefined;
    // the pack writer pulls in the delta codec: loaded only when something is sent
    const { packStream } = await import("./pack-stream.js");
    const planned = this.deltas.plan(objects);
    const stream = this.plan.large ? compactingEvery(25_000, planned) : planned;
    const pack = packStream(this.plan.header, stream, onBytes, this.deltas.packOptions);
    // once the last byte is out, the wait is the server's: validation and apply
    const body = onProgress ? thenSignal(pack, () => onProgress({ phase: "server" })) : pack;
    try {
      return await this.api.deploy(body, {
        ifMatch,
        dryRun: this.options.dryRun,
        force: this.options.force,
        guardDeletions: this.options.guardDeletions,
        guardBreaking: this.options.guardBreaking,
      });
    } catch (err) {
      throw explainTooLarge(err, this.plan.scan);
    }
  }
}

async function* thenSignal(stream: AsyncIterable<Buffer>, done: () => void): AsyncGenerator<Buffer> {
  yield* stream;
  done();
}

/** The server's list of missing objects (its 409 detail), hashes only. */
function missingList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((h): h is string => typeof h === "string") : [];
}

/** Yields the objects, collecting garbage every `n` of them (see compact-heap.ts). */
function* compactingEvery(n: number, objects: readonly PackObject[]): Generator<PackObject> {
  let i = 0;
  for (const o of objects) {
    if (++i % n === 0) compactHeap();
    yield o;
  }
}
