/**
 * The local state for one command, rebuilt when damaged. docs/design.md: the state is a cache of what the
 * workspace and the server can always tell again. So a damaged file (SQLite: malformed page, not a
 * database), met at open or in the middle of the command, is moved aside as `state.db.damaged-<time>`
 * (kept for a post-mortem), the caller is told in one line, and the command runs again once on a fresh
 * file: a full scan and a negotiation. A deploy run again is safe: a root the server runs already is
 * answered "up to date". A file of another user, or one that cannot be written, is not touched.
 */
import { existsSync, renameSync, statSync } from "node:fs";
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

/**
 * A process that runs many commands (the monitor running them for clients) keeps each state file open
 * between them: opening costs the schema check, and closing the last connection checkpoints the WAL into
 * the file. Kept while the file at the path is as this process left it (same inode, size and mtime: not
 * moved aside, replaced, or written by another process's checkpoint since); else opened afresh, which is
 * also where a file damaged behind its back is found.
 */
let keepOpen = false;
const open = new Map<string, { state: LocalState; file: string }>();

/** From now on, this process keeps the local states it opens open between commands. */
export function keepLocalStatesOpen(): void {
  keepOpen = true;
}

async function runWith<T>(dir: string, run: (state: LocalState) => Promise<T>): Promise<T> {
  if (!keepOpen) {
    const state = LocalState.open(dir);
    try {
      return await run(state);
    } finally {
      closeQuietly(state);
    }
  }
  const state = keptState(dir);
  try {
    const result = await run(state);
    open.set(dir, { state, file: fileIdentity(dir) });
    return result;
  } catch (err) {
    // a damaged file is moved aside next; whatever else went wrong, the next command opens it afresh
    open.delete(dir);
    closeQuietly(state);
    throw err;
  }
}

function keptState(dir: string): LocalState {
  const kept = open.get(dir);
  open.delete(dir); // kept again when the command succeeds
  if (kept && fileIdentity(dir) === kept.file) return kept.state;
  if (kept) closeQuietly(kept.state);
  return LocalState.open(dir);
}

function fileIdentity(dir: string): string {
  const st = statSync(join(dir, "state.db"), { bigint: true, throwIfNoEntry: false });
  return st ? `${st.ino}:${st.size}:${st.mtimeNs}` : "none";
}

function closeQuietly(state: LocalState): void {
  try {
    state.close();
  } catch {
    // a damaged file may fail to close cleanly; it is moved aside next
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
