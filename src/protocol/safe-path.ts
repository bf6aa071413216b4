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

/**
 * A folder's entries as a deployment may hold them: every path safe, and no two names that differ only in
 * case or Unicode normalisation (they would overwrite each other on macOS and Windows). E_UNSAFE_PATH.
 */
export function assertSafeFolder(prefix: string, names: readonly { name: string }[]): void {
  const folded = new Map<string, string>();
  for (const { name } of names) {
    const path = prefix === "" ? name : `${prefix}/${name}`;
    const problem = pathProblem(path);
    if (problem) throw new CaxtonError("E_UNSAFE_PATH", `unsafe path ${JSON.stringify(path)}: ${problem}`);
    const key = name.normalize("NFC").toLowerCase();
    const clash = folded.get(key);
    if (clash !== undefined) {
      throw new CaxtonError(
        "E_UNSAFE_PATH",
        `paths ${JSON.stringify(clash)} and ${JSON.stringify(path)} differ only in case or Unicode normalisation`,
        { hint: "rename one of them: they would overwrite each other on macOS and Windows" },
      );
    }
    folded.set(key, path);
  }
}
