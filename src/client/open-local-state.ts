/**
 * The local state for one command, rebuilt when damaged. docs/design.md: the state is a cache of what the
 * workspace and the server can always tell again. So a damaged file (SQLite: malformed page, not a
 * database), met at open or in the middle of the command, is moved aside as `state.db.damaged-<time>`
 * (kept for a post-mortem), the caller is told in one line, and the command runs again once on a fresh
 * file: a full scan and a negotiation. A deploy run again is safe: a root the server runs already is
 * answered "up to date". A file of another user, or one that cannot be written, is not touched.
 */
import { existsSync, renameSync } from "node:fs";
import { join } from "node:path";
import { LocalState } from "./local-state.js";
import { stateProblem } from "./state-file-error.js";
import { stateDir } from "./state-dir.js";

export async function withLocalState<T>(
  run: (state: LocalState) => Promise<T>,
  onNotice: (line: string) => void,
  dir: string = stateDir(),
): Promise<T> {
  try {
    return await runWith(dir, run);
  } catch (err) {
    if (stateProblem(err) !== "damaged") throw err;
    let aside: string;
    try {
      aside = moveAside(dir);
    } catch {
      throw err; // the folder cannot be written: the damaged-file error, with its hint, is the answer
    }
    onNotice(`the local state was damaged and is rebuilt (moved aside: ${aside}); this run scans everything`);
    return runWith(dir, run);
  }
}

async function runWith<T>(dir: string, run: (state: LocalState) => Promise<T>): Promise<T> {
  const state = LocalState.open(dir);
  try {
    return await run(state);
  } finally {
    try {
      state.close();
    } catch {
      // a damaged file may fail to close cleanly; it is moved aside next
    }
  }
}

/** Moves state.db (and its WAL and shared-memory files) aside; returns the new name of state.db. */
function moveAside(dir: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const aside = join(dir, `state.db.damaged-${stamp}`);
  for (const suffix of ["", "-wal", "-shm"]) {
    const from = join(dir, `state.db${suffix}`);
    if (existsSync(from)) renameSync(from, `${aside}${suffix}`);
  }
  return aside;
}
