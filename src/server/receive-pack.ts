/**
 * Receives a pack stream into a transaction's temp dir. Each object is written as it arrives and hashed on
 * the way; an object whose bytes do not hash to its name is rejected. Small objects (trees, TOML files) are
 * also kept in memory, up to a budget, because resolution and validation read them right away.
 */
import { createHash } from "node:crypto";
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { CaxtonError } from "../errors/caxton-error.js";
import { PackDecoder, type PackLimits } from "../protocol/pack-decoder.js";

export interface ReceivedPack {
  header: unknown;
  /** hash → file in the temp dir */
  files: Map<string, string>;
  /** hash → bytes, for small objects */
  small: Map<string, Buffer>;
  bytes: number;
}

export interface ReceiveOptions extends PackLimits {
  smallObjectBytes: number;
  memoryBudgetBytes: number;
}

export async function receivePack(
  body: AsyncIterable<Buffer>,
  dir: string,
  options: ReceiveOptions,
): Promise<ReceivedPack> {
  mkdirSync(dir, { recursive: true });
  const decoder = new PackDecoder(options);
  const result: ReceivedPack = { header: undefined, files: new Map(), small: new Map(), bytes: 0 };
  let memory = 0;
  let current: {
    hash: string;
    size: number;
    fd: number;
    file: string;
    digest: ReturnType<typeof createHash>;
    parts: Buffer[] | null;
    written: number;
  } | null = null;
  const closeCurrent = (): void => {
    if (current) closeSync(current.fd);
    current = null;
  };
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
              throw new CaxtonError("E_UNSUPPORTED", "delta frames are not supported by this server");
            }
            const file = join(dir, `${ev.hash}.${result.files.size}`);
            const keep = ev.size <= options.smallObjectBytes && memory + ev.size <= options.memoryBudgetBytes;
            current = {
              hash: ev.hash,
              size: ev.size,
              fd: openSync(file, "wx", 0o644),
              file,
              digest: createHash("sha256"),
              parts: keep ? [] : null,
              written: 0,
            };
            break;
          }
          case "data": {
            if (!current) throw new CaxtonError("E_BAD_REQUEST", "malformed pack: data outside an object");
            writeSync(current.fd, ev.chunk);
            current.digest.update(ev.chunk);
            current.written += ev.chunk.length;
            current.parts?.push(Buffer.from(ev.chunk));
            break;
          }
          case "object-end": {
            if (!current)
              throw new CaxtonError("E_BAD_REQUEST", "malformed pack: object end outside an object");
            const actual = current.digest.digest("hex");
            if (actual !== current.hash) {
              throw new CaxtonError(
                "E_CHECKSUM_MISMATCH",
                `object ${current.hash} arrived with content hashing to ${actual}`,
                { detail: { expected: current.hash, actual } },
              );
            }
            const { hash, file, parts } = current;
            closeCurrent();
            result.files.set(hash, file);
            if (parts) {
              const bytes = Buffer.concat(parts);
              memory += bytes.length;
              result.small.set(hash, bytes);
            }
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
