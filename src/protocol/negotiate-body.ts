/**
 * The negotiation body: `"CXNG" | header-len u32be | header JSON | hash[32]*`. Raw 32-byte hashes, because
 * a cold-cache deploy of 100,000 files sends one per object (3.2 MB raw against 6.7 MB as JSON hex).
 * The answer is a bitmap over the same order.
 */
import { CaxtonError } from "../errors/caxton-error.js";
import { MAX_HEADER_BYTES, NEGOTIATE_MAGIC } from "./pack-format.js";

export function encodeNegotiate(header: unknown, hashes: readonly string[]): Buffer {
  const json = Buffer.from(JSON.stringify(header), "utf8");
  const buf = Buffer.alloc(8 + json.length + hashes.length * 32);
  NEGOTIATE_MAGIC.copy(buf, 0);
  buf.writeUInt32BE(json.length, 4);
  json.copy(buf, 8);
  let pos = 8 + json.length;
  for (const h of hashes) {
    buf.write(h, pos, 32, "hex");
    pos += 32;
  }
  return buf;
}

export function decodeNegotiate(body: Buffer, maxHashes: number): { header: unknown; hashes: string[] } {
  if (body.length < 8 || !body.subarray(0, 4).equals(NEGOTIATE_MAGIC)) {
    throw new CaxtonError("E_BAD_REQUEST", "malformed negotiation: bad magic");
  }
  const len = body.readUInt32BE(4);
  if (len > MAX_HEADER_BYTES || 8 + len > body.length) {
    throw new CaxtonError("E_BAD_REQUEST", "malformed negotiation: bad header length");
  }
  let header: unknown;
  try {
    header = JSON.parse(body.toString("utf8", 8, 8 + len));
  } catch {
    throw new CaxtonError("E_BAD_REQUEST", "malformed negotiation: header is not JSON");
  }
  const rest = body.length - 8 - len;
  if (rest % 32 !== 0)
    throw new CaxtonError("E_BAD_REQUEST", "malformed negotiation: hash list is truncated");
  const count = rest / 32;
  if (count > maxHashes)
    throw new CaxtonError("E_TOO_LARGE", `more than ${maxHashes} hashes in a negotiation`);
  const hashes: string[] = new Array<string>(count);
  for (let i = 0, pos = 8 + len; i < count; i++, pos += 32) hashes[i] = body.toString("hex", pos, pos + 32);
  return { header, hashes };
}

export function encodeBitmap(bits: readonly boolean[]): string {
  const bytes = Buffer.alloc(Math.ceil(bits.length / 8));
  bits.forEach((bit, i) => {
    if (bit) bytes[i >> 3] = (bytes[i >> 3] ?? 0) | (1 << (i & 7));
  });
  return bytes.toString("base64");
}

export function decodeBitmap(base64: string, count: number): boolean[] {
  const bytes = Buffer.from(base64, "base64");
  if (bytes.length !== Math.ceil(count / 8))
    throw new CaxtonError("E_PROTOCOL", "bitmap length does not match");
  const bits = new Array<boolean>(count);
  for (let i = 0; i < count; i++) bits[i] = ((bytes[i >> 3] ?? 0) & (1 << (i & 7))) !== 0;
  return bits;
}
