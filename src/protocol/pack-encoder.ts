/** Produces the byte frames of a pack stream (see pack-format.ts). The caller writes them to a socket. */
import { FRAME_DELTA, FRAME_END, FRAME_OBJECT, PACK_MAGIC, PACK_VERSION } from "./pack-format.js";

export function encodePackStart(header: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(header), "utf8");
  const fixed = Buffer.alloc(PACK_MAGIC.length + 1 + 4);
  PACK_MAGIC.copy(fixed, 0);
  fixed.writeUInt8(PACK_VERSION, 4);
  fixed.writeUInt32BE(json.length, 5);
  return Buffer.concat([fixed, json]);
}

/** The frame head of a whole object; the `size` content bytes follow it. */
export function encodeObjectHead(hash: string, size: number): Buffer {
  // every byte is written below, so a pooled, uninitialised buffer is safe: one object = one small slice of
  // an 8 KiB slab instead of one malloc (100,000 of those fragmented the client's heap by ~20 MB)
  const head = Buffer.allocUnsafe(1 + 32 + 8);
  head.writeUInt8(FRAME_OBJECT, 0);
  if (head.write(hash, 1, 32, "hex") !== 32) throw new Error(`not a SHA-256: ${hash}`);
  head.writeBigUInt64BE(BigInt(size), 33);
  return head;
}

/** The frame head of a delta object; the `deltaSize` delta bytes follow it. */
export function encodeDeltaHead(hash: string, base: string, size: number, deltaSize: number): Buffer {
  const head = Buffer.allocUnsafe(1 + 32 + 32 + 8 + 8);
  head.writeUInt8(FRAME_DELTA, 0);
  if (head.write(hash, 1, 32, "hex") !== 32) throw new Error(`not a SHA-256: ${hash}`);
  if (head.write(base, 33, 32, "hex") !== 32) throw new Error(`not a SHA-256: ${base}`);
  head.writeBigUInt64BE(BigInt(size), 65);
  head.writeBigUInt64BE(BigInt(deltaSize), 73);
  return head;
}

export function encodePackEnd(): Buffer {
  return Buffer.of(FRAME_END);
}
