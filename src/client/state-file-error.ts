/**
 * What went wrong with the local state file, in one sentence of ours: damaged (SQLite found a malformed
 * page or no database at all: the file is a cache and is rebuilt, see open-local-state.ts), another user's
 * (a `sudo caxton deploy` left it owned by root), or not writable; anything else names the file and the cause.
 */
import { accessSync, constants, statSync } from "node:fs";
import { CaxtonError, isCaxtonError } from "../errors/caxton-error.js";
import type { ErrorDetail } from "../errors/error-codes.js";

/** SQLite's codes for a file that is not (or no longer) a sound database. */
const DAMAGED = new Set(["SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_CORRUPT_INDEX", "SQLITE_CORRUPT_VTAB"]);
const DENIED = new Set(["EACCES", "EPERM", "EROFS", "SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM"]);

export type StateProblem = ErrorDetail<"E_STATE">["state"];

export function stateFileError(err: unknown, dir: string, file: string): CaxtonError {
  if (isCaxtonError(err)) return err;
  const code = String((err as { code?: unknown })?.code ?? "");
  const reason = (err as Error)?.message ?? String(err);
  if (DAMAGED.has(code) || code.startsWith("SQLITE_CORRUPT")) {
    return problem("damaged", `the local state ${file} is damaged (${reason})`, file, {
      hint: "it is only a cache: move it aside and the next command rebuilds it",
    });
  }
  const owner = ownerOf(file) ?? ownerOf(dir);
  const uid = process.getuid?.();
  if (owner !== undefined && uid !== undefined && uid !== 0 && owner !== uid) {
    return problem(
      "foreign",
      `the local state ${file} belongs to another user (uid ${owner}), not to you`,
      file,
      {
        hint: `was it made with sudo? give it back (chown -R ${uid} ${dir}) or set CAXTON_STATE_DIR to a folder of yours`,
      },
    );
  }
  if (DENIED.has(code) || code.startsWith("SQLITE_READONLY") || code.startsWith("SQLITE_CANTOPEN")) {
    return problem("read-only", `the local state ${file} cannot be written (${reason})`, file, {
      hint: writable(dir)
        ? "make the file writable, or set CAXTON_STATE_DIR to a writable folder"
        : `the folder ${dir} is not writable: fix its permissions, or set CAXTON_STATE_DIR to a writable folder`,
    });
  }
  return problem("other", `cannot use the local state ${file}: ${reason}`, file, {});
}

export function stateProblem(err: unknown): StateProblem | undefined {
  if (!isCaxtonError(err) || err.code !== "E_STATE") return undefined;
  const p = err.detail?.state;
  return p === "damaged" || p === "foreign" || p === "read-only" || p === "other" ? p : undefined;
}

function problem(kind: StateProblem, message: string, file: string, options: { hint?: string }): CaxtonError {
  return new CaxtonError("E_STATE", message, { ...options, detail: { state: kind, file } });
}

function ownerOf(path: string): number | undefined {
  try {
    return statSync(path).uid;
  } catch {
    return undefined;
  }
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
