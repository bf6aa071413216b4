/**
 * A set of tree objects as one byte string, to keep a deployment's folders in one record: per tree its
 * hash (32 bytes), its length (u32 little-endian) and its bytes. The reader checks the framing only; the
 * record is this client's own (its hashes are trusted as written).
 */
import type { TreeNode } from "./build-tree.js";

export function encodeTreeSet(nodes: Iterable<TreeNode>): Buffer {
  const parts: Buffer[] = [];
  for (const node of nodes) {
    const head = Buffer.allocUnsafe(36);
    head.write(node.hash, 0, 32, "hex");
    head.writeUInt32LE(node.bytes.length, 32);
    parts.push(head, node.bytes);
  }
  return Buffer.concat(parts);
}

/** hash → tree object; undefined when the framing is broken. */
export function decodeTreeSet(buf: Buffer): Map<string, Buffer> | undefined {
  const out = new Map<string, Buffer>();
  let pos = 0;
  while (pos < buf.length) {
    if (pos + 36 > buf.length) return undefined;
    const n = buf.readUInt32LE(pos + 32);
    if (pos + 36 + n > buf.length) return undefined;
    out.set(buf.toString("hex", pos, pos + 32), buf.subarray(pos + 36, pos + 36 + n));
    pos += 36 + n;
  }
  return out;
}
