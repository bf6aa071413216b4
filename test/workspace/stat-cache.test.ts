import { test } from "node:test";
import assert from "node:assert/strict";
import { rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { scanWorkspace } from "../../src/workspace/scan-workspace.js";
import {
  cacheEntry,
  isCacheHit,
  nowNs,
  statFingerprint,
  type StatCachePort,
  type StatEntry,
} from "../../src/workspace/stat-cache.js";
import { manifestOf, sha256, sleep, withTempDir, writeFiles } from "./helpers.js";

/** The port, in memory. `entries` is the "database"; tests edit it to simulate what stat cannot see. */
class MemoryStatCache implements StatCachePort {
  readonly entries = new Map<string, StatEntry>();
  loads = 0;
  saves = 0;

  load(): Map<string, StatEntry> {
    this.loads++;
    return new Map([...this.entries].map(([p, e]) => [p, { ...e }]));
  }

  save(changed: Map<string, StatEntry>, removed: string[]): void {
    this.saves++;
    for (const [p, e] of changed) this.entries.set(p, { ...e });
    for (const p of removed) this.entries.delete(p);
  }
}

function statOf(abs: string): { size: bigint; mtimeNs: bigint; ctimeNs: bigint; ino: bigint } {
  const st = statSync(abs, { bigint: true });
  return { size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, ino: st.ino };
}

const HOUR_AGO = (): number => Math.floor(Date.now() / 1000) - 3600 + 0.25; // seconds, with a fraction
/**
 * ctime cannot be set back, and the rule looks at max(mtime, ctime): after utimes the ctime is "now", so wait
 * past the 20 ms racy window before the scan that fills the cache.
 */
const PAST_RACY_WINDOW_MS = 60;

const FILES = {
  "agents/coordinator.toml": 'name = "coordinator"\n',
  "agents/researcher.toml": 'name = "researcher"\n',
  "tools/mcp_servers.toml": '[servers.fs]\ncommand = "mcp-fs"\n',
};

async function oldWorkspace(dir: string): Promise<void> {
  writeFiles(dir, FILES);
  const t = HOUR_AGO();
  for (const p of Object.keys(FILES)) utimesSync(join(dir, p), t, t);
  await sleep(PAST_RACY_WINDOW_MS);
}

test("stat cache: a second scan of old, unchanged files reads nothing", async () => {
  await withTempDir(async (dir) => {
    await oldWorkspace(dir);
    const cache = new MemoryStatCache();
    const before = nowNs();
    const first = scanWorkspace(dir, { cache });
    const after = nowNs();
    assert.equal(first.hashedFiles, 3);
    assert.equal(first.cachedFiles, 0);
    assert.equal(cache.entries.size, 3);
    for (const [p, e] of cache.entries) {
      assert.equal(e.fingerprint, statFingerprint(statOf(join(dir, p))));
      assert.equal(e.hash, sha256(FILES[p as keyof typeof FILES]));
      assert.equal(e.clean, true, "an hour-old file hashed now is clean");
    }
    assert.ok(before <= after);

    const savesBefore = cache.saves;
    const second = scanWorkspace(dir, { cache });
    assert.equal(second.hashedFiles, 0);
    assert.equal(second.hashedBytes, 0);
    assert.equal(second.cachedFiles, 3);
    assert.deepEqual(second.manifest, first.manifest);
    assert.deepEqual(second.manifest, manifestOf(FILES));
    assert.equal(cache.saves, savesBefore, "nothing to save when nothing changed");
  });
});

test("stat cache: a changed, added or deleted file is noticed; the others stay cached", async () => {
  await withTempDir(async (dir) => {
    await oldWorkspace(dir);
    const cache = new MemoryStatCache();
    scanWorkspace(dir, { cache });

    // a different size
    writeFileSync(join(dir, "agents/coordinator.toml"), 'name = "coordinator2"\n');
    let scan = scanWorkspace(dir, { cache });
    assert.equal(scan.hashedFiles, 1);
    assert.equal(scan.cachedFiles, 2);
    assert.equal(scan.manifest.get("agents/coordinator.toml"), sha256('name = "coordinator2"\n'));

    // the same size, with the mtime set back to an (other) old value: mtime/ctime differ from the cache
    writeFileSync(join(dir, "agents/researcher.toml"), 'name = "researcheR"\n');
    const t = HOUR_AGO() - 60;
    utimesSync(join(dir, "agents/researcher.toml"), t, t);
    scan = scanWorkspace(dir, { cache });
    assert.equal(scan.manifest.get("agents/researcher.toml"), sha256('name = "researcheR"\n'));
    assert.ok(scan.hashedFiles >= 1);

    // added and deleted
    rmSync(join(dir, "tools/mcp_servers.toml"));
    writeFiles(dir, { "agents/new.toml": "new" });
    scan = scanWorkspace(dir, { cache });
    assert.ok(!scan.manifest.has("tools/mcp_servers.toml"));
    assert.equal(scan.manifest.get("agents/new.toml"), sha256("new"));
    assert.ok(!cache.entries.has("tools/mcp_servers.toml"), "a deleted file leaves the cache");
    assert.ok(cache.entries.has("agents/new.toml"));
  });
});

test("stat cache: a file replaced by another (new inode, same size and times) is re-hashed", async () => {
  await withTempDir(async (dir) => {
    await oldWorkspace(dir);
    const cache = new MemoryStatCache();
    scanWorkspace(dir, { cache });
    const p = join(dir, "agents/coordinator.toml");
    const old = statSync(p);
    rmSync(p);
    writeFileSync(join(dir, "filler"), "keeps the old inode from being reused at once");
    writeFileSync(p, 'name = "coordinatoR"\n');
    utimesSync(p, old.atime, old.mtime);
    const scan = scanWorkspace(dir, { cache });
    assert.equal(scan.manifest.get("agents/coordinator.toml"), sha256('name = "coordinatoR"\n'));
  });
});

const S = 1_000_000_000n;
const MS = 1_000_000n;

test("isCacheHit: table (exact stat match, and the racily-clean rule)", () => {
  const T = 1_700_000_000n * S + 123_456_789n; // a fine-grained timestamp
  const W = 1_700_000_000n * S; // a whole-second timestamp (coarse file system)
  const stat = (mtimeNs: bigint, ctimeNs = mtimeNs) => ({ size: 10n, mtimeNs, ctimeNs, ino: 42n });
  const entry = (mtimeNs: bigint, hashedAtNs: bigint, ctimeNs = mtimeNs): StatEntry =>
    cacheEntry(stat(mtimeNs, ctimeNs), "ab".repeat(32), hashedAtNs);
  const cases: [string, StatEntry | undefined, ReturnType<typeof stat>, boolean][] = [
    ["no entry", undefined, stat(T), false],
    ["hashed an hour after the change", entry(T, T + 3600n * S), stat(T), true],
    ["hashed 21 ms after the change", entry(T, T + 21n * MS), stat(T), true],
    ["hashed 20 ms + 1 ns after the change", entry(T, T + 20n * MS + 1n), stat(T), true],
    ["hashed exactly 20 ms after the change: racy", entry(T, T + 20n * MS), stat(T), false],
    ["hashed 5 ms after the change: racy", entry(T, T + 5n * MS), stat(T), false],
    ["hashed in the same instant: racy", entry(T, T), stat(T), false],
    ["hashed before the change (clock skew): racy", entry(T, T - S), stat(T), false],
    ["size differs", entry(T, T + 3600n * S), { ...stat(T), size: 11n }, false],
    ["mtime differs by 1 ns", entry(T, T + 3600n * S), stat(T + 1n, T), false],
    ["ctime differs", entry(T, T + 3600n * S), stat(T, T + 1n), false],
    ["inode differs", entry(T, T + 3600n * S), { ...stat(T), ino: 43n }, false],
    // whole-second timestamps: the tick may be up to 2 s (FAT), so the margin is 2 s
    ["whole second, hashed 1.5 s later: racy", entry(W, W + 1500n * MS), stat(W), false],
    ["whole second, hashed exactly 2 s later: racy", entry(W, W + 2n * S), stat(W), false],
    ["whole second, hashed 2 s + 1 ms later", entry(W, W + 2n * S + MS), stat(W), true],
    ["whole second, hashed an hour later", entry(W, W + 3600n * S), stat(W), true],
    // the change time is the later of mtime and ctime: an old mtime (cp -p, rsync -t, tar x) does not
    // make a just-written file safe
    [
      "old mtime but ctime 5 ms before the hash: racy",
      entry(T - 3600n * S, T + 5n * MS, T),
      stat(T - 3600n * S, T),
      false,
    ],
    ["old mtime and ctime 1 s before the hash", entry(T - 3600n * S, T + S, T), stat(T - 3600n * S, T), true],
    [
      "whole-second mtime, fine ctime: ctime's tick counts",
      entry(W - 10n * S, T + 30n * MS, T),
      stat(W - 10n * S, T),
      true,
    ],
    ["fine mtime, whole-second ctime: 2 s margin", entry(T - 10n * S, W + S, W), stat(T - 10n * S, W), false],
  ];
  for (const [what, e, st, expected] of cases) assert.equal(isCacheHit(e, st), expected, what);
});

test("stat cache, racy case: a same-size write in the tick of the cached hash is found", async () => {
  await withTempDir(async (dir) => {
    const p = join(dir, "agent.toml");
    writeFileSync(p, "version = 1\n");
    const cache = new MemoryStatCache();
    const first = scanWorkspace(dir, { cache }); // right after the write: hashed within the racy window
    assert.equal(first.manifest.get("agent.toml"), sha256("version = 1\n"));
    const cached = cache.entries.get("agent.toml");
    assert.ok(cached);
    assert.equal(cached.clean, false, "the entry was hashed just after the write: racily clean");

    // a second write, same size. On a coarse clock it would land in the same tick and leave size, mtime,
    // ctime and inode as they were: simulate that by making the cache entry agree with the new stat.
    writeFileSync(p, "version = 2\n");
    const now = statOf(p);
    assert.equal(now.size, 12n);
    cache.entries.set("agent.toml", { ...cached, fingerprint: statFingerprint(now) }); // same hash (of v1)
    assert.ok(!isCacheHit(cache.entries.get("agent.toml"), now), "the entry is racily clean");

    const second = scanWorkspace(dir, { cache });
    assert.equal(second.hashedFiles, 1);
    assert.equal(second.cachedFiles, 0);
    assert.equal(second.manifest.get("agent.toml"), sha256("version = 2\n"));
    assert.equal(cache.entries.get("agent.toml")?.hash, sha256("version = 2\n"));
  });
});

test("stat cache, control: the same manipulation on an entry hashed long after the change is trusted", async () => {
  // This is why the racy rule exists: the cache only sees stat fields, so when they match it trusts the
  // hash, even if the content changed. It is only safe when the hash was taken after the file's last tick.
  await withTempDir(async (dir) => {
    const p = join(dir, "agent.toml");
    writeFileSync(p, "version = 1\n");
    const t = HOUR_AGO();
    utimesSync(p, t, t);
    await sleep(PAST_RACY_WINDOW_MS);
    const cache = new MemoryStatCache();
    scanWorkspace(dir, { cache });
    const cached = cache.entries.get("agent.toml");
    assert.ok(cached);

    writeFileSync(p, "version = 2\n");
    utimesSync(p, t, t); // mtime as before; ctime moves on (it cannot be set back)
    await sleep(PAST_RACY_WINDOW_MS);
    const now = statOf(p);
    assert.equal(cached.fingerprint.split(":")[1], String(now.mtimeNs));
    // The entry now agrees with the stat, and was hashed well after the stat's last change (here we must
    // take the hash time from now, because the real ctime moved past the first hash).
    cache.entries.set("agent.toml", cacheEntry(now, cached.hash, nowNs()));
    assert.ok(isCacheHit(cache.entries.get("agent.toml"), now));

    const second = scanWorkspace(dir, { cache });
    assert.equal(second.hashedFiles, 0);
    assert.equal(second.cachedFiles, 1);
    // the stale hash is used: the file was not read
    assert.equal(second.manifest.get("agent.toml"), sha256("version = 1\n"));
  });
});

test("stat cache: racily clean entries are re-hashed until they are safely old, then trusted", async () => {
  await withTempDir(async (dir) => {
    writeFiles(dir, { "a.toml": "a = 1\n" });
    const cache = new MemoryStatCache();
    scanWorkspace(dir, { cache });
    const e1 = cache.entries.get("a.toml");
    assert.ok(e1);
    const racy = !isCacheHit(e1, statOf(join(dir, "a.toml")));
    const again = scanWorkspace(dir, { cache });
    assert.equal(again.hashedFiles, racy ? 1 : 0);
    // after the window, one more hash at most, then it is a hit for good
    await sleep(PAST_RACY_WINDOW_MS);
    scanWorkspace(dir, { cache });
    const last = scanWorkspace(dir, { cache });
    assert.equal(last.hashedFiles, 0);
    assert.equal(last.cachedFiles, 1);
    assert.equal(last.manifest.get("a.toml"), sha256("a = 1\n"));
  });
});
