/**
 * A tree object is the exact byte string that the spec hashes for a directory:
 * `kind SP name NUL hash32` for each child, sorted by the raw UTF-8 bytes of the names. Its SHA-256 is the
 * directory's checksum, so client and server can ship and verify trees as ordinary content-addressed objects.
 */
import { CaxtonError } from "../errors/caxton-error.js";

export type EntryKind = "blob" | "tree";

export interface TreeEntry {
  kind: EntryKind;
  name: string;
  /** lowercase hex SHA-256 */
  hash: string;
}

const SP = 0x20;
const NUL = 0x00;
const KIND_BYTES: Record<EntryKind, Buffer> = { blob: Buffer.from("blob"), tree: Buffer.from("tree") };
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Compares names by their raw UTF-8 bytes (JS string order is UTF-16 order, which differs for astral chars). */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

export function encodeTree(entries: readonly TreeEntry[]): Buffer {
  const named = entries.map((e) => ({ e, name: Buffer.from(e.name, "utf8") }));
  named.sort((x, y) => Buffer.compare(x.name, y.name));
  const parts: Buffer[] = [];
  let previous: Buffer | undefined;
  for (const { e, name } of named) {
    if (previous && Buffer.compare(previous, name) === 0) {
      throw new CaxtonError("E_BAD_REQUEST", `duplicate entry name in tree: ${e.name}`);
    }
    previous = name;
    parts.push(KIND_BYTES[e.kind], Buffer.of(SP), name, Buffer.of(NUL), Buffer.from(e.hash, "hex"));
  }
  return Buffer.concat(parts);
}

/**
 * Parses a tree object received from a peer. Untrusted: every malformation is a typed error, names must be
 * single safe path segments in strictly increasing byte order (which also rules out duplicates).
 */
export function decodeTree(bytes: Uint8Array): TreeEntry[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries: TreeEntry[] = [];
  let pos = 0;
  let previous: Buffer | undefined;
  while (pos < buf.length) {
    const sp = buf.indexOf(SP, pos);
    if (sp < 0) throw bad("missing kind separator");
    const kindText = buf.toString("latin1", pos, sp);
    if (kindText !== "blob" && kindText !== "tree")
      throw bad(`unknown entry kind ${JSON.stringify(kindText)}`);
    const nul = buf.indexOf(NUL, sp + 1);
    if (nul < 0) throw bad("missing name terminator");
    const nameBytes = buf.subarray(sp + 1, nul);
    if (nul + 1 + 32 > buf.length) throw bad("truncated hash");
    let name: string;
    try {
      name = utf8.decode(nameBytes);
    } catch {
      throw bad("entry name is not valid UTF-8");
    }
    const segmentProblem = checkSegment(name);
    if (segmentProblem) throw bad(`entry name ${JSON.stringify(name)}: ${segmentProblem}`);
    if (previous && Buffer.compare(previous, nameBytes) >= 0)
      throw bad("entries are not sorted or not unique");
    previous = nameBytes;
    entries.push({ kind: kindText, name, hash: buf.toString("hex", nul + 1, nul + 33) });
    pos = nul + 33;
  }
  return entries;
}

/** Returns why a single path segment is unsafe, or undefined if it is fine. */
export function checkSegment(name: string): string | undefined {
  if (name.length === 0) return "empty name";
  if (name === "." || name === "..") return "'.' and '..' are not names";
  if (name.includes("/")) return "contains '/'";
  if (name.includes("\\")) return "contains a backslash";
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return "contains a control character";
  return undefined;
}

function bad(message: string): CaxtonError {
  return new CaxtonError("E_BAD_REQUEST", `malformed tree object: ${message}`);
}
