import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import fc from "fast-check";
import { LocalState } from "../../src/client/local-state.js";
import { buildTree } from "../../src/merkle/build-tree.js";
import { scanWorkspace } from "../../src/workspace/scan-workspace.js";
import { decodeStatCache, encodeStatCache } from "../../src/workspace/stat-cache-record.js";
import { sleep, withTempDir } from "./helpers.js";

/** A small pool of paths, so that steps hit the same folders, nest files and turn files into folders. */
const pathArb = fc
  .array(fc.constantFrom("a", "b", "agents", "x.toml", "deep"), { minLength: 1, maxLength: 4 })
  .map((segs) => segs.join("/"));

type Step = { op: "write"; path: string; content: string } | { op: "delete"; path: string } | { op: "none" };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant("write" as const), path: pathArb, content: fc.string() }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("delete" as const), path: pathArb }) },
  { weight: 1, arbitrary: fc.constant({ op: "none" as const }) },
);

function apply(root: string, step: Step): void {
  if (step.op === "none") return;
  const abs = join(root, step.path);
  if (step.op === "delete") {
    try {
      rmSync(abs, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOTDIR") throw err; // under a file: nothing to delete
    }
    return;
  }
  // a file where a folder is wanted (or the reverse) is replaced, as an editor's "save as" would
  const segs = step.path.split("/");
  for (let i = 1; i < segs.length; i++) {
    const prefix = join(root, ...segs.slice(0, i));
    try {
      mkdirSync(prefix);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      if (!statSync(prefix).isDirectory()) {
        rmSync(prefix);
        mkdirSync(prefix);
      }
    }
  }
  rmSync(abs, { recursive: true, force: true });
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, step.content);
}

test("cache-tree: a scan through the cached trees gives the same root and folders as a full rebuild", async () => {
  let reused = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.array(stepArb, { maxLength: 4 }), { minLength: 1, maxLength: 4 }),
      async (rounds) =>
        withTempDir(async (dir) => {
          const ws = join(dir, "ws");
          mkdirSync(ws);
          const state = LocalState.open(join(dir, "state"));
          try {
            for (const steps of rounds) {
              for (const s of steps) apply(ws, s);
              await sleep(25); // past the racy window, so unchanged files are stat-cache hits
              const incremental = scanWorkspace(ws, { cache: state.statCache(ws) });
              const full = buildTree(scanWorkspace(ws).manifest);
              assert.equal(incremental.tree.root, full.root);
              const hashes = (t: typeof full): Map<string, string> =>
                new Map([...t.trees].map(([p, n]) => [p, n.hash]));
              assert.deepEqual(hashes(incremental.tree), hashes(full));
              for (const node of incremental.tree.trees.values())
                assert.deepEqual(node.bytes, full.trees.get(node.path)?.bytes);
              reused += incremental.reusedFolders;
            }
          } finally {
            state.close();
          }
        }),
    ),
    { numRuns: 25 },
  );
  assert.ok(reused > 0, "some folder came from the cache");
});

test("cache-tree: an unchanged workspace reuses every folder and saves nothing", async () => {
  await withTempDir(async (dir) => {
    const ws = join(dir, "ws");
    for (const p of ["agents/a.toml", "agents/team/b.toml", "prompts/x.md", "top.md"]) {
      mkdirSync(dirname(join(ws, p)), { recursive: true });
      writeFileSync(join(ws, p), p);
    }
    await sleep(25);
    const state = LocalState.open(join(dir, "state"));
    try {
      const first = scanWorkspace(ws, { cache: state.statCache(ws) });
      assert.equal(first.reusedFolders, 0);
      const cache = state.statCache(ws);
      let saves = 0;
      const second = scanWorkspace(ws, { cache: { ...cache, save: () => saves++ } });
      assert.equal(second.hashedFiles, 0);
      assert.equal(second.reusedFolders, first.tree.trees.size);
      assert.equal(second.tree.root, first.tree.root);
      assert.equal(saves, 0);
    } finally {
      state.close();
    }
  });
});

test("stat cache record: round trip, and any truncation or corruption reads as no cache or a valid one", () => {
  const entryArb = fc.record({
    fingerprint: fc.stringMatching(/^[0-9:]{0,40}$/),
    hash: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString("hex")),
    clean: fc.boolean(),
  });
  const folderArb = fc.record({
    hash: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString("hex")),
    bytes: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
    files: fc.nat(),
    dirs: fc.string(),
  });
  fc.assert(
    fc.property(
      fc.dictionary(fc.string(), entryArb),
      fc.dictionary(fc.string(), folderArb),
      fc.nat(),
      fc.uint8Array({ maxLength: 8 }),
      (entries, folders, cut, noise) => {
        const e = new Map(Object.entries(entries).map(([k, v]) => [k, { ...v }]));
        const f = new Map(Object.entries(folders).map(([k, v]) => [k, { ...v }]));
        const record = encodeStatCache(e, f);
        const back = decodeStatCache(record);
        assert.deepEqual(back?.entries, e);
        assert.deepEqual(
          new Map([...(back?.folders ?? [])].map(([k, v]) => [k, { ...v, bytes: Buffer.from(v.bytes) }])),
          f,
        );
        // hostile: truncated, or bytes overwritten at some offset: never throws
        if (record.length > 0) decodeStatCache(record.subarray(0, cut % record.length));
        const damaged = Buffer.from(record);
        Buffer.from(noise).copy(damaged, cut % damaged.length);
        decodeStatCache(damaged);
        decodeStatCache(Buffer.concat([record, Buffer.from(noise)]));
      },
    ),
    { numRuns: 300 },
  );
});
