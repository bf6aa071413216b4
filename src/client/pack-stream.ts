/**
 * Streams a pack of objects from the workspace: tree objects from memory, blobs read from disk in 1 MiB
 * pieces and hashed again on the way, so a file edited after the scan fails the deploy here with a clear
 * message instead of reaching the server.
 */
import { createHash } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";
import { CaxtonError } from "../errors/caxton-error.js";
import { encodeObjectHead, encodePackEnd, encodePackStart } from "../protocol/pack-encoder.js";

export type PackObject =
  | { kind: "tree"; hash: string; bytes: Buffer }
  | { kind: "blob"; hash: string; size: number; absPath: string; path: string };

const CHUNK = 1024 * 1024;

export async function* packStream(
  header: unknown,
  objects: readonly PackObject[],
  onBytes?: (n: number) => void,
): AsyncGenerator<Buffer> {
  yield encodePackStart(header);
  let batch: Buffer[] = [];
  let batched = 0;
  // many small objects are coalesced into ~1 MiB writes: one socket write per object costs ~5 µs each
  const flush = function* (): Generator<Buffer> {
    if (batched > 0) {
      onBytes?.(batched);
      yield Buffer.concat(batch);
    }
    batch = [];
    batched = 0;
  };
  const push = function* (buf: Buffer): Generator<Buffer> {
    batch.push(buf);
    batched += buf.length;
    if (batched >= CHUNK) yield* flush();
  };
  for (const obj of objects) {
    if (obj.kind === "tree") {
      yield* push(encodeObjectHead(obj.hash, obj.bytes.length));
      yield* push(obj.bytes);
      continue;
    }
    yield* push(encodeObjectHead(obj.hash, obj.size));
    const digest = createHash("sha256");
    let fd: number;
    try {
      fd = openSync(obj.absPath, "r");
    } catch {
      throw changed(obj.path);
    }
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
      if (readSync(fd, Buffer.alloc(1), 0, 1, null) !== 0) throw changed(obj.path);
    } finally {
      closeSync(fd);
    }
    if (digest.digest("hex") !== obj.hash) throw changed(obj.path);
  }
  yield* push(encodePackEnd());
  yield* flush();
}

function changed(path: string): CaxtonError {
  return new CaxtonError("E_WORKSPACE", `${path} changed while it was being deployed`, {
    hint: "deploy again once your editor or build has finished writing",
  });
}
