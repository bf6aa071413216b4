/** Rules for workspace paths that cross the wire. Every path from a peer goes through `assertSafePath`. */
import { CaxtonError } from "../errors/caxton-error.js";
import { checkSegment } from "../merkle/tree-object.js";

export const MAX_PATH_BYTES = 1024;
export const MAX_SEGMENT_BYTES = 255;

export function pathProblem(path: string): string | undefined {
  if (path.length === 0) return "empty path";
  if (path.startsWith("/")) return "absolute path";
  if (Buffer.byteLength(path, "utf8") > MAX_PATH_BYTES) return `longer than ${MAX_PATH_BYTES} bytes`;
  // a JS string cannot hold invalid UTF-8, only lone surrogates (which would encode as U+FFFD and collide)
  if (!path.isWellFormed()) return "not valid UTF-8 (lone surrogate)";
  for (const segment of path.split("/")) {
    const problem = checkSegment(segment);
    if (problem) return problem;
    if (Buffer.byteLength(segment, "utf8") > MAX_SEGMENT_BYTES)
      return `a name longer than ${MAX_SEGMENT_BYTES} bytes`;
  }
  return undefined;
}

export function assertSafePath(path: string): void {
  const problem = pathProblem(path);
  if (problem) throw new CaxtonError("E_UNSAFE_PATH", `unsafe path ${JSON.stringify(path)}: ${problem}`);
}
