/**
 * Streams a pack of objects from the workspace: tree objects from memory, blobs read from disk in 1 MiB
 * pieces and hashed again on the way, so a file edited after the scan fails the deploy here with a clear
 * message instead of reaching the server.
 *
 * A blob with a `deltaBase` whose content `readBase` can supply (the local blob cache) is read whole (at most
 * 32 MiB, isDeltaEligible), and sent as a delta frame if shouldSendDelta finds the delta clearly smaller, else
 * whole from the bytes just read. Memory: base + target + zstd's tables while one delta is made (~160 MB at
 * the 32 MiB limit, see delta/README.md); every other blob streams in 1 MiB pieces whatever its size.
 */
import { createHash } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";
import { createDelta } from "../delta/delta-codec.js";
import { DELTA_MAX_BYTES, shouldSendDelta } from "../delta/delta-policy.js";
import { CaxtonError } from "../errors/caxton-error.js";

/** One byte to probe for growth past the scanned size (reused: this runs once per file). */
const PROBE = Buffer.alloc(1);
import {
  encodeDeltaHead,
  encodeObjectHead,
  encodePackEnd,
  encodePackStart,
} from "../protocol/pack-encoder.js";

export type PackObject =
  | {
      kind: "tree";
      hash: string;
      bytes: Buffer;
      /** the same folder's tree object in the base, which the server holds: a delta may go instead */
      deltaBase?: { hash: string; bytes: Buffer };
    }
  | {
      kind: "blob";
      hash: string;
      size: number;
      absPath: string;
      path: string;
      /** the content the server holds at this path, when the blob may travel as a delta against it */
      deltaBase?: { hash: string; size: number };
    };

export interface PackStreamOptions {
  /** A delta base's bytes, verified against its hash, or undefined when unavailable (the blob goes whole). */
  readBase?: (hash: string) => Buffer | undefined;
  /** Called for each blob once its frame is out: whole or delta, its payload bytes, its content size. */
  onSent?: (hash: string, as: "whole" | "delta", payloadBytes: number, size: number) => void;
}

const CHUNK = 1024 * 1024;

export async function* packStream(
  header: unknown,
  objects: Iterable<PackObject>,
  onBytes?: (n: number) => void,
  options: PackStreamOptions = {},
): AsyncGenerator<Buffer> {
  yield encodePackStart(header);
  let batch: Buffer[] = [];
  let batched = 0;
  // progress counts content covered: a delta frame stands for its whole object
  let credit = 0;
  // many small objects are coalesced into ~1 MiB writes: one socket write per object costs ~5 µs each
  const flush = function* (): Generator<Buffer> {
    if (batched > 0) {
      onBytes?.(batched + credit);
      credit = 0;
      yield batch.length === 1 && batch[0] ? batch[0] : Buffer.concat(batch);
    }
    batch = [];
    batched = 0;
  };
  const push = function* (buf: Buffer): Generator<Buffer> {
    if (buf.length >= CHUNK) yield* flush(); // a big buffer (a whole target read for a delta) is not copied
    batch.push(buf);
    batched += buf.length;
    if (batched >= CHUNK) yield* flush();
  };
  for (const obj of objects) {
    if (obj.kind === "tree") {
      const delta = obj.deltaBase ? createDelta(obj.deltaBase.bytes, obj.bytes) : undefined;
      if (obj.deltaBase && delta && shouldSendDelta(obj.bytes.length, delta.length)) {
        yield* push(encodeDeltaHead(obj.hash, obj.deltaBase.hash, obj.bytes.length, delta.length));
        yield* push(delta);
        credit += obj.bytes.length - delta.length;
        options.onSent?.(obj.hash, "delta", delta.length, obj.bytes.length);
      } else {
        yield* push(encodeObjectHead(obj.hash, obj.bytes.length));
        yield* push(obj.bytes);
      }
      continue;
    }
    const base =
      obj.deltaBase && obj.size <= DELTA_MAX_BYTES ? options.readBase?.(obj.deltaBase.hash) : undefined;
    if (obj.deltaBase && base) {
      const target = readWhole(obj);
      const delta = createDelta(base, target);
      if (shouldSendDelta(target.length, delta.length)) {
        yield* push(encodeDeltaHead(obj.hash, obj.deltaBase.hash, obj.size, delta.length));
        yield* push(delta);
        credit += obj.size - delta.length;
        options.onSent?.(obj.hash, "delta", delta.length, obj.size);
      } else {
        yield* push(encodeObjectHead(obj.hash, obj.size));
        yield* push(target);
        options.onSent?.(obj.hash, "whole", obj.size, obj.size);
      }
      continue;
    }
    yield* push(encodeObjectHead(obj.hash, obj.size));
    const digest = createHash("sha256");
    const fd = openOrChanged(obj);
    try {
      let left = obj.size;
      while (left > 0) {
        const buf = Buffer.allocUnsafe(Math.min(CHUNK, left));
        const n = readSync(fd, buf, 0, buf.length, null);
        if (n === 0) throw changed(obj.path);
        const piece = n === buf.length ? buf : buf.subarray(0, n);
        digest.update(piece);
        left -= n;
        yield* push(piece);
      }
      if (readSync(fd, PROBE, 0, 1, null) !== 0) throw changed(obj.path);
    } finally {
      closeSync(fd);
    }
    if (digest.digest("hex") !== obj.hash) throw changed(obj.path);
    options.onSent?.(obj.hash, "whole", obj.size, obj.size);
  }
  yield* push(encodePackEnd());
  yield* flush();
}

/** A blob's whole content (≤ 32 MiB), checked against its size and hash like the streamed path. */
function readWhole(obj: { hash: string; size: number; absPath: string; path: string }): Buffer {
  const fd = openOrChanged(obj);
  try {
    const bytes = Buffer.allocUnsafe(obj.size);
    let got = 0;
    while (got < obj.size) {
      const n = readSync(fd, bytes, got, obj.size - got, null);
      if (n === 0) throw changed(obj.path);
      got += n;
    }
    if (readSync(fd, PROBE, 0, 1, null) !== 0) throw changed(obj.path);
    if (createHash("sha256").update(bytes).digest("hex") !== obj.hash) throw changed(obj.path);
    return bytes;
  } finally {
    closeSync(fd);
  }
}

/** A file the scan saw but that cannot be opened now was removed or replaced meanwhile. */
function openOrChanged(obj: { absPath: string; path: string }): number {
  try {
    return openSync(obj.absPath, "r");
  } catch {
    throw changed(obj.path);
  }
}

function changed(path: string): CaxtonError {
  return new CaxtonError("E_WORKSPACE", `${path} changed while it was being deployed`, {
    hint: "deploy again once your editor or build has finished writing",
  });
}
