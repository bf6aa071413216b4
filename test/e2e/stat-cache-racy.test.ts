/**
 * The stat cache through the real CLI and the real SQLite state file: a racily clean file (its content
 * changed within the timestamp tick in which it was hashed, so every stat field still matches) is hashed
 * again, while an old file with matching stat fields is trusted.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { decodeStatCache, encodeStatCache } from "../../src/workspace/stat-cache-record.js";
import type { StatEntry } from "../../src/workspace/stat-cache.js";
import { cleanup, runCli, tempDir } from "../support/caxton-process.js";

/** Edits one entry of the workspace's stat cache record in the state file, as the CLI would have written it. */
function editCacheEntry(
  stateDir: string,
  workspace: string,
  path: string,
  edit: (e: StatEntry) => void,
): void {
  const db = new Database(join(stateDir, "state.db"));
  const record = db.prepare(`SELECT record FROM stat_cache WHERE workspace_path = ?`).pluck().get(workspace);
  const contents = decodeStatCache(record as Buffer);
  const entry = contents?.entries.get(path);
  assert.ok(contents && entry, `no cache entry for ${path}`);
  edit(entry);
  db.prepare(`UPDATE stat_cache SET record = ? WHERE workspace_path = ?`).run(
    encodeStatCache(contents.entries, contents.folders),
    workspace,
  );
  db.close();
}

function cachedHash(stateDir: string, workspace: string, path: string): string | undefined {
  const db = new Database(join(stateDir, "state.db"));
  const record = db.prepare(`SELECT record FROM stat_cache WHERE workspace_path = ?`).pluck().get(workspace);
  db.close();
  return decodeStatCache(record as Buffer)?.entries.get(path)?.hash;
}

function forgeCacheStat(
  stateDir: string,
  workspace: string,
  path: string,
  file: string,
  hashedLater = false,
): void {
  // simulate a write in the same tick: the cached stat fields become exactly the file's current ones
  const st = statSync(file, { bigint: true });
  editCacheEntry(stateDir, workspace, path, (e) => {
    e.fingerprint = `${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}`;
    // as if it had been hashed a second after its last change: then matching stat fields are trusted
    if (hashedLater) e.clean = true;
  });
}

test("status re-hashes a racily clean file and trusts an old one", async () => {
  const root = tempDir();
  const state = join(root, "state");
  const ws = join(root, "ws");
  const env = { CAXTON_STATE_DIR: state };
  try {
    assert.equal((await runCli(["init", ws])).code, 0);
    const fresh = join(ws, "fresh.txt");
    const old = join(ws, "old.txt");
    writeFileSync(fresh, "aaaa\n");
    writeFileSync(old, "aaaa\n");
    const hourAgo = new Date(Date.now() - 3600_000);
    utimesSync(old, hourAgo, hourAgo);
    // a CLI start takes longer than one timestamp tick, so a real same-tick write cannot be timed from here;
    // a modification time ahead of the hash (a skewed NFS server does this) puts the entry in the same racy
    // state: hashed no later than one tick after its last change
    const soon = new Date(Date.now() + 5_000);
    utimesSync(fresh, soon, soon);
    // first status fills the cache (no server needed: status is offline)
    const first = await runCli(["status", ws, "--json", "--server", "http://127.0.0.1:9"], env);
    assert.equal(first.code, 0, first.stderr);
    const wsReal = first.json().workspace as string;

    // same size, new content; then make the cached stat match, as a same-tick write would
    writeFileSync(fresh, "bbbb\n");
    forgeCacheStat(state, wsReal, "fresh.txt", fresh);
    writeFileSync(old, "bbbb\n");
    utimesSync(old, hourAgo, hourAgo);
    forgeCacheStat(state, wsReal, "old.txt", old, true);

    const second = await runCli(["status", ws, "--json", "--server", "http://127.0.0.1:9"], env);
    const before = first.json().workspace_checksum;
    const after = second.json().workspace_checksum;
    assert.notEqual(after, before, "the racily clean file was hashed again, so the change is seen");

    // the old file's entry was trusted: its change is invisible until its stat changes (why the rule exists)
    assert.equal(cachedHash(state, wsReal, "old.txt"), createHash("sha256").update("aaaa\n").digest("hex"));
  } finally {
    cleanup(root);
  }
});
