/**
 * Receives a pack stream into a transaction's temp dir, laid out as the object store is (`ab/cdef…`, each
 * fan-out folder made once), so that adoption can move a whole folder into a store that lacks it
 * (object-store.ts). Each object is hashed as it arrives; one whose bytes do not hash to its name is
 * rejected. Small objects (trees, TOML files) are kept in memory, up to a budget, because resolution and
 * validation read them right away, and are written once verified, in one call; larger ones stream to a
 * `.part` file renamed to the object's name once verified. A hash sent twice is verified and written once.
 *
 * Delta frames (0x02) are rebuilt against their base: from the store, or from an object earlier in this pack.
 * Memory: a delta's payload is buffered (a delta is only accepted when base and target pass isDeltaEligible,
 * so ≤ 32 MiB each, and the payload is at most the target's size), then the base is read and applyDelta runs;
 * peak ≈ base + payload + 2 × target ≈ 130 MB at the 32 MiB limit. Whole objects of any size stream to disk.
 * A delta whose base is missing or not eligible is skipped, not fatal: its object is then missing, so the
 * deploy answers 409 E_MISSING_OBJECTS naming it (detail.unapplied_deltas says why) and the client sends it
 * whole in one more round trip, while everything else that arrived is kept. A delta that does not rebuild its
 * object (corrupt, or a base whose content differs) is rejected like a whole object with wrong bytes.
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { applyDelta } from "../delta/delta-codec.js";
import { DELTA_MAX_BYTES, isDeltaEligible } from "../delta/delta-policy.js";
import { CaxtonError, isCaxtonError } from "../errors/caxton-error.js";
import type { ErrorDetail } from "../errors/error-codes.js";
import { PackDecoder, type PackLimits } from "../protocol/pack-decoder.js";
import type { BlobStore } from "../store/deployment-store.js";
import { objectPath } from "../store/data-dir.js";

export interface ReceivedPack {
  header: unknown;
  /** hash → file in the temp dir (`<dir>/ab/cdef…`) */
  files: Map<string, string>;
  /** hash → bytes, for small objects */
  small: Map<string, Buffer>;
  bytes: number;
  /** delta frames that were skipped (their objects count as missing), at most MAX_UNAPPLIED listed */
  unappliedDeltas: UnappliedDelta[];
  /** objects that arrived as deltas and were rebuilt */
  deltas: number;
}

/** an object sent as a delta that was not rebuilt, and why (E_MISSING_OBJECTS's detail) */
export type UnappliedDelta = NonNullable<ErrorDetail<"E_MISSING_OBJECTS">["unapplied_deltas"]>[number];

/** Where delta bases come from besides the pack itself: the store's objects (store/deployment-store.ts). */
export type BaseSource = Pick<BlobStore, "size" | "read">;

export interface ReceiveOptions extends PackLimits {
  smallObjectBytes: number;
  memoryBudgetBytes: number;
  bases?: BaseSource;
}

const MAX_UNAPPLIED = 10_000;

type Receiving =
  | {
      kind: "whole";
      hash: string;
      size: number;
      /** a streamed object's `.part` file, or null while it is only buffered (small) or discarded (a repeat) */
      fd: number | null;
      file: string;
      digest: ReturnType<typeof createHash>;
      parts: Buffer[] | null;
      written: number;
    }
  /** a delta: its payload in memory, or `loadBase` null when it is skipped (payload discarded) */
  | {
      kind: "delta";
      hash: string;
      size: number;
      base: string;
      loadBase: (() => Promise<Buffer>) | null;
      parts: Buffer[];
    };

export async function receivePack(
  body: AsyncIterable<Buffer>,
  dir: string,
  options: ReceiveOptions,
): Promise<ReceivedPack> {
  mkdirSync(dir, { recursive: true });
  const decoder = new PackDecoder(options);
  const result: ReceivedPack = {
    header: undefined,
    files: new Map(),
    small: new Map(),
    bytes: 0,
    unappliedDeltas: [],
    deltas: 0,
  };
  let memory = 0;
  let current: Receiving | null = null;
  const closeCurrent = (): void => {
    if (current?.kind === "whole" && current.fd !== null) closeSync(current.fd);
    current = null;
  };
  const fanOut = new Set<string>();
  const fileOf = (hash: string): string => {
    const prefix = hash.slice(0, 2);
    if (!fanOut.has(prefix)) {
      mkdirSync(join(dir, prefix), { recursive: true });
      fanOut.add(prefix);
    }
    return objectPath(dir, hash);
  };
  const keepSmall = (size: number): boolean =>
    size <= options.smallObjectBytes && memory + size <= options.memoryBudgetBytes;
  try {
    for await (const chunk of body) {
      result.bytes += chunk.length;
      for (const ev of decoder.push(chunk)) {
        switch (ev.type) {
          case "header":
            result.header = ev.header;
            break;
          case "object": {
            if (ev.base !== null) {
              const base = await deltaBase(ev.base, result.files, options.bases);
              const eligible =
                base !== null && isDeltaEligible(base.size, ev.size) && ev.payloadSize <= ev.size;
              if (!eligible && result.unappliedDeltas.length < MAX_UNAPPLIED) {
                const reason = base === null ? "base-missing" : "not-eligible";
                result.unappliedDeltas.push({ object: ev.hash, base: ev.base, reason });
              }
              const { hash, size } = ev;
              const loadBase = eligible ? base.load : null;
              current = { kind: "delta", hash, size, base: ev.base, loadBase, parts: [] };
              break;
            }
            const repeat = result.files.has(ev.hash);
            const keep = !repeat && keepSmall(ev.size);
            const file = fileOf(ev.hash);
            current = {
              kind: "whole",
              hash: ev.hash,
              size: ev.size,
              // read-only from birth: objects are never modified
              fd: repeat || keep ? null : openSync(`${file}.part`, "wx", 0o444),
              file,
              digest: createHash("sha256"),
              parts: keep ? [] : null,
              written: 0,
            };
            break;
          }
          case "data": {
            if (!current) throw new CaxtonError("E_BAD_REQUEST", "malformed pack: data outside an object");
            if (current.kind === "delta") {
              if (current.loadBase !== null) current.parts.push(Buffer.from(ev.chunk));
              break;
            }
            if (current.fd !== null) writeSync(current.fd, ev.chunk);
            current.digest.update(ev.chunk);
            current.written += ev.chunk.length;
            current.parts?.push(Buffer.from(ev.chunk));
            break;
          }
          case "object-end": {
            if (!current)
              throw new CaxtonError("E_BAD_REQUEST", "malformed pack: object end outside an object");
            if (current.kind === "delta") {
              const delta = current;
              current = null;
              if (delta.loadBase === null) break; // skipped: the object stays missing
              const bytes = rebuild(delta.hash, delta.base, await delta.loadBase(), delta.parts, delta.size);
              result.deltas++;
              if (result.files.has(delta.hash)) break; // verified; its first copy is written already
              const file = fileOf(delta.hash);
              writeFileSync(file, bytes, { flag: "wx", mode: 0o444 });
              result.files.set(delta.hash, file);
              if (keepSmall(bytes.length)) {
                memory += bytes.length;
                result.small.set(delta.hash, bytes);
              }
              break;
            }
            const actual = current.digest.digest("hex");
            if (actual !== current.hash) {
              throw new CaxtonError(
                "E_CHECKSUM_MISMATCH",
                `object ${current.hash} arrived with content hashing to ${actual}`,
                { detail: { expected: current.hash, actual } },
              );
            }
            const { hash, file, parts, fd } = current;
            closeCurrent();
            if (parts) {
              const bytes = Buffer.concat(parts);
              writeFileSync(file, bytes, { flag: "wx", mode: 0o444 });
              memory += bytes.length;
              result.small.set(hash, bytes);
            } else if (fd !== null) renameSync(`${file}.part`, file);
            else break; // a repeat: verified, not written again
            result.files.set(hash, file);
            break;
          }
          case "end":
            break;
        }
      }
    }
    decoder.finish();
    return result;
  } finally {
    closeCurrent();
  }
}

/** A delta's base, from the pack or the store: its size (eligibility is decided before loading it). */
async function deltaBase(
  hash: string,
  received: ReadonlyMap<string, string>,
  bases: BaseSource | undefined,
): Promise<{ size: number; load: () => Promise<Buffer> } | null> {
  const file = received.get(hash);
  if (file !== undefined) return { size: statSync(file).size, load: async () => readFileSync(file) };
  const size = bases ? await bases.size(hash) : undefined;
  if (size === undefined || !bases) return null;
  return {
    size,
    load: async () => {
      const bytes = await bases.read(hash);
      if (!bytes) throw new CaxtonError("E_MISSING_OBJECTS", `delta base ${hash} is no longer stored`);
      return bytes;
    },
  };
}

/**
 * Applies a delta and checks the result's SHA-256 against the frame's hash, as for a whole object. Any
 * failure is the request's error, marked `detail.delta` so the client knows to send the object whole.
 */
function rebuild(hash: string, base: string, baseBytes: Buffer, parts: Buffer[], size: number): Buffer {
  const describe = `object ${hash} (a delta against ${base})`;
  let bytes: Buffer;
  try {
    bytes = applyDelta(baseBytes, Buffer.concat(parts), size, DELTA_MAX_BYTES);
  } catch (err) {
    if (!isCaxtonError(err)) throw err;
    throw new CaxtonError(err.code, `${describe} could not be rebuilt: ${err.message}`, {
      ...(err.hint ? { hint: err.hint } : {}),
      detail: { ...err.detail, object: hash, base, delta: true },
      cause: err,
    });
  }
  const actual = createHash("sha256").update(bytes).digest("hex");
  if (actual !== hash) {
    throw new CaxtonError("E_CHECKSUM_MISMATCH", `${describe} rebuilt to content hashing to ${actual}`, {
      detail: { expected: hash, actual, object: hash, base, delta: true },
      hint: "the delta was made against other content than the server's base; send the whole content",
    });
  }
  return bytes;
}
