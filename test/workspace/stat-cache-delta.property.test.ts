import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import Database from "better-sqlite3";
import fc from "fast-check";
import { LocalState } from "../../src/client/local-state.js";
import type { CachedFolder, StatEntry } from "../../src/workspace/stat-cache.js";
import {
  decodeStatCache,
  decodeStatDelta,
  encodeStatCache,
  encodeStatDelta,
} from "../../src/workspace/stat-cache-record.js";
import { withTempDir } from "./helpers.js";

const hexArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString("hex"));
const entryArb: fc.Arbitrary<StatEntry> = fc
  .record({ fingerprint: fc.stringMatching(/^[0-9:]{1,40}$/), hash: hexArb, clean: fc.boolean() })
  .map((e) => ({ ...e }));
const folderArb: fc.Arbitrary<CachedFolder> = fc
  .record({
    hash: hexArb,
    bytes: fc.uint8Array({ maxLength: 48 }).map((b) => Buffer.from(b)),
    files: fc.nat({ max: 1000 }),
    dirs: fc.string({ maxLength: 12 }),
  })
  .map((f) => ({ ...f }));
/** a small pool of paths, so that saves replace and remove what earlier ones wrote */
const pathArb = fc.constantFrom("a", "b", "a/x.toml", "a/y.md", "deep/er/z", "é/ü", "");

interface Save {
  changed: [string, StatEntry][];
  removed: string[];
  /** the whole folder map of the save, or none (every cached tree dropped) */
  folders: [string, CachedFolder][] | null;
}
const saveArb: fc.Arbitrary<Save> = fc.record({
  changed: fc.array(fc.tuple(pathArb, entryArb), { maxLength: 4 }),
  removed: fc.array(pathArb, { maxLength: 2 }),
  folders: fc.option(fc.array(fc.tuple(pathArb, folderArb), { maxLength: 4 }), { freq: 8 }),
});

const plain = (m: ReadonlyMap<string, CachedFolder>): Map<string, CachedFolder> =>
  new Map([...m].map(([k, v]) => [k, { ...v, bytes: Buffer.from(v.bytes) }]));

test("stat cache base + delta: after any sequence of saves, a fresh read gives what was saved", async () => {
  await withTempDir(async (dir) => {
    const ws = "/some/workspace";
    // a base large enough that small saves go into the delta rather than compacting
    const seed = new Map<string, StatEntry>();
    for (let i = 0; i < 200; i++)
      seed.set(`seed/${i}.md`, { fingerprint: `${i}:1:2:3`, hash: "ab".repeat(32), clean: true });
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(saveArb, { minLength: 1, maxLength: 8 }), async (saves) => {
        const stateDir = join(dir, `state-${runs++}`);
        const entries = new Map(seed);
        let folders = new Map<string, CachedFolder>();
        const state = LocalState.open(stateDir);
        try {
          state.statCache(ws).save(new Map(seed), [], new Map());
          // one port kept across saves (as deploy --watch does), and a fresh one read after each
          const kept = state.statCache(ws);
          kept.load();
          for (const s of saves) {
            for (const [p, e] of s.changed) entries.set(p, e);
            for (const p of s.removed) entries.delete(p);
            folders = s.folders ? new Map(s.folders) : new Map();
            kept.save(new Map(s.changed), s.removed, s.folders ? new Map(s.folders) : undefined);
            const fresh = state.statCache(ws);
            assert.deepEqual(fresh.load(), entries);
            assert.deepEqual(plain(fresh.loadFolders?.() ?? new Map()), plain(folders));
          }
        } finally {
          state.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});

test("stat cache: a small change writes a small delta and leaves the base as it was", async () => {
  await withTempDir(async (dir) => {
    const ws = "/ws";
    const state = LocalState.open(dir);
    // 5,000 files in 50 folders of 100
    const entries = new Map<string, StatEntry>();
    const folders = new Map<string, CachedFolder>();
    for (let d = 0; d < 50; d++) {
      folders.set(`p${d}`, { hash: "02".repeat(32), bytes: Buffer.alloc(100 * 45), files: 100, dirs: "" });
      for (let i = 0; i < 100; i++)
        entries.set(`p${d}/${i}.md`, { fingerprint: `${i}:10:20:${d}`, hash: "cd".repeat(32), clean: true });
    }
    folders.set("", { hash: "01".repeat(32), bytes: Buffer.alloc(50 * 40), files: 0, dirs: "p0/p1" });
    try {
      state.statCache(ws).save(entries, [], folders);
      const db = new Database(join(dir, "state.db"), { readonly: true });
      const base = (): Buffer =>
        db.prepare(`SELECT record FROM stat_cache WHERE workspace_path = ?`).pluck().get(ws) as Buffer;
      const delta = (): Buffer | undefined =>
        db.prepare(`SELECT record FROM stat_cache_delta WHERE workspace_path = ?`).pluck().get(ws) as
          Buffer | undefined;
      const before = base();
      assert.equal(delta(), undefined);

      const port = state.statCache(ws);
      port.load();
      const one = { fingerprint: "9:9:9:9", hash: "ef".repeat(32), clean: true };
      const changedFolders = new Map(folders);
      changedFolders.set("p3", { hash: "03".repeat(32), bytes: Buffer.alloc(99 * 45), files: 99, dirs: "" });
      port.save(new Map([["p3/7.md", one]]), ["p3/8.md"], changedFolders);
      assert.deepEqual(base(), before, "the base is not rewritten");
      const d = delta();
      assert.ok(d && d.length < before.length / 50, `delta of ${d?.length} bytes against ${before.length}`);

      const read = state.statCache(ws).load();
      assert.deepEqual(read.get("p3/7.md"), one);
      assert.equal(read.has("p3/8.md"), false);
      assert.equal(read.size, 4999);
      assert.equal(state.statCache(ws).loadFolders?.().get("p3")?.files, 99);

      // a change past an eighth of the base compacts: a new base, no delta
      const many = new Map([...entries].slice(0, 2000).map(([p, e]) => [p, { ...e, hash: "aa".repeat(32) }]));
      port.save(many, [], changedFolders);
      assert.notDeepEqual(base(), before);
      assert.equal(delta(), undefined);
      assert.equal(state.statCache(ws).load().get("p0/0.md")?.hash, "aa".repeat(32));
      db.close();
    } finally {
      state.close();
    }
  });
});

test("stat cache: a delta is applied only to the base it was written against", async () => {
  await withTempDir(async (dir) => {
    const ws = "/ws";
    const state = LocalState.open(dir);
    try {
      const entries = new Map<string, StatEntry>();
      for (let i = 0; i < 100; i++)
        entries.set(`f${i}`, { fingerprint: `${i}:1:1:1`, hash: "11".repeat(32), clean: true });
      state.statCache(ws).save(entries, [], new Map());
      const port = state.statCache(ws);
      port.load();
      port.save(new Map([["f1", { fingerprint: "x", hash: "22".repeat(32), clean: true }]]), [], new Map());
      // a base written anew without the delta's stamp (an older client, or a hand edit): the delta is stale
      const db = new Database(join(dir, "state.db"));
      db.prepare(`UPDATE stat_cache SET record = ? WHERE workspace_path = ?`).run(
        encodeStatCache(entries, new Map()),
        ws,
      );
      db.close();
      assert.equal(state.statCache(ws).load().get("f1")?.hash, "11".repeat(32));
      // a torn delta reads as none
      const db2 = new Database(join(dir, "state.db"));
      db2
        .prepare(`UPDATE stat_cache_delta SET record = ? WHERE workspace_path = ?`)
        .run(Buffer.from("CXD1"), ws);
      db2.close();
      assert.equal(state.statCache(ws).load().size, 100);
    } finally {
      state.close();
    }
  });
});

test("stat cache delta record: round trip, and any truncation or corruption reads as no delta or a valid one", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.string(), fc.option(entryArb))),
      fc.array(fc.tuple(fc.string(), fc.option(folderArb))),
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      fc.nat(),
      fc.uint8Array({ maxLength: 8 }),
      (entries, folders, stampBytes, cut, noise) => {
        const stamp = Buffer.from(stampBytes);
        const delta = { entries: new Map(entries), folders: new Map(folders) };
        const record = encodeStatDelta(stamp, delta);
        const back = decodeStatDelta(record, stamp);
        assert.deepEqual(back?.entries, delta.entries);
        assert.deepEqual(
          new Map(
            [...(back?.folders ?? [])].map(([k, v]) => [k, v && { ...v, bytes: Buffer.from(v.bytes) }]),
          ),
          delta.folders,
        );
        const other = Buffer.from(stamp);
        other[0] = (other[0] ?? 0) ^ 1;
        assert.equal(decodeStatDelta(record, other), undefined, "another base's delta");
        assert.equal(decodeStatCache(record), undefined, "a delta is no base");
        decodeStatDelta(record.subarray(0, cut % record.length), stamp);
        const damaged = Buffer.from(record);
        Buffer.from(noise).copy(damaged, cut % damaged.length);
        decodeStatDelta(damaged, stamp);
        decodeStatDelta(Buffer.concat([record, Buffer.from(noise)]), stamp);
      },
    ),
    { numRuns: 300 },
  );
});

type Op =
  | { kind: "ours"; save: Save; token: boolean }
  | { kind: "other"; save: Save; token: boolean }
  | { kind: "advance" };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("ours" as const), save: saveArb, token: fc.boolean() }),
  fc.record({ kind: fc.constant("other" as const), save: saveArb, token: fc.boolean() }),
  fc.record({ kind: fc.constant("advance" as const) }),
);

test("stat cache kept in memory across commands: every command reads what the file holds, whoever wrote it", async () => {
  await withTempDir(async (dir) => {
    const ws = "/ws";
    let runs = 0;
    let tokens = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 10 }), async (ops) => {
        const stateDir = join(dir, `state-${runs++}`);
        const entries = new Map<string, StatEntry>();
        let folders = new Map<string, CachedFolder>();
        let token: string | null = null;
        for (const op of ops) {
          const next = (): string => `00000000-0000-0000-0000-000000000000:${++tokens}`;
          if (op.kind === "advance") {
            // another process found nothing changed: the same records, a later token
            if (token === null) continue;
            const db = new Database(join(stateDir, "state.db"));
            const t = next();
            db.prepare(`UPDATE monitor_tokens SET token = ? WHERE workspace_path = ?`).run(t, ws);
            db.close();
            token = t;
            continue;
          }
          const s = op.save;
          for (const [p, e] of s.changed) entries.set(p, e);
          for (const p of s.removed) entries.delete(p);
          folders = s.folders ? new Map(s.folders) : new Map();
          const t = op.token ? next() : null;
          if (op.kind === "ours") {
            // one command of this process: a state opened, read, saved and closed
            const state = LocalState.open(stateDir);
            try {
              const port = state.statCache(ws);
              port.load();
              port.save(
                new Map(s.changed),
                s.removed,
                s.folders ? new Map(s.folders) : undefined,
                t ?? undefined,
              );
            } finally {
              state.close();
            }
          } else {
            // another process: a whole new base and its token, written behind this one's back
            LocalState.open(stateDir).close();
            const db = new Database(join(stateDir, "state.db"));
            db.transaction(() => {
              db.prepare(`INSERT OR REPLACE INTO stat_cache (workspace_path, record) VALUES (?, ?)`).run(
                ws,
                encodeStatCache(entries, folders, Buffer.alloc(16, tokens % 256)),
              );
              db.prepare(`DELETE FROM stat_cache_delta WHERE workspace_path = ?`).run(ws);
              if (t === null) db.prepare(`DELETE FROM monitor_tokens WHERE workspace_path = ?`).run(ws);
              else
                db.prepare(`INSERT OR REPLACE INTO monitor_tokens (workspace_path, token) VALUES (?, ?)`).run(
                  ws,
                  t,
                );
            })();
            db.close();
          }
          token = t;
          const state = LocalState.open(stateDir);
          try {
            const port = state.statCache(ws);
            assert.deepEqual(port.load(), entries);
            assert.deepEqual(plain(port.loadFolders?.() ?? new Map()), plain(folders));
            assert.equal(port.monitorToken?.() ?? null, token);
          } finally {
            state.close();
          }
        }
      }),
      { numRuns: 80 },
    );
  });
});
