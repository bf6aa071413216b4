/**
 * rescanPaths must agree with a full walk: after any sequence of file operations, updating the earlier scan
 * from the touched paths gives the manifest a fresh scanWorkspace gives, or answers "full".
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { LocalState } from "../../src/client/local-state.js";
import { buildTree, type MerkleTree } from "../../src/merkle/build-tree.js";
import { rescanPaths } from "../../src/workspace/rescan-paths.js";
import { scanWorkspace, type ScanResult } from "../../src/workspace/scan-workspace.js";
import { sleep, withTempDir, writeFiles } from "./helpers.js";

const NAMES = ["a.toml", "b.md", "c.txt", "skip.tmp"] as const;
const FOLDERS = ["", "agents", "agents/team", "prompts"] as const;

type Op =
  | { kind: "write"; folder: number; name: number; content: string }
  | { kind: "delete"; folder: number; name: number }
  | { kind: "rename"; folder: number; name: number; to: number }
  | { kind: "mkdir-write"; name: number; content: string }
  | { kind: "rmdir"; folder: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant("write" as const),
    folder: fc.nat(FOLDERS.length - 1),
    name: fc.nat(NAMES.length - 1),
    content: fc.string({ maxLength: 20 }),
  }),
  fc.record({
    kind: fc.constant("delete" as const),
    folder: fc.nat(FOLDERS.length - 1),
    name: fc.nat(NAMES.length - 1),
  }),
  fc.record({
    kind: fc.constant("rename" as const),
    folder: fc.nat(FOLDERS.length - 1),
    name: fc.nat(NAMES.length - 1),
    to: fc.nat(NAMES.length - 1),
  }),
  fc.record({
    kind: fc.constant("mkdir-write" as const),
    name: fc.nat(NAMES.length - 1),
    content: fc.string({ maxLength: 5 }),
  }),
  fc.record({ kind: fc.constant("rmdir" as const), folder: fc.integer({ min: 1, max: FOLDERS.length - 1 }) }),
);

const rel = (folder: number, name: number): string => {
  const f = FOLDERS[folder] ?? "";
  return f === "" ? (NAMES[name] ?? "x") : `${f}/${NAMES[name] ?? "x"}`;
};

/** Applies the operation; returns the paths an fs watcher would name (the entries that changed). */
function apply(root: string, o: Op): string[] {
  const abs = (p: string): string => join(root, p);
  const tryIt = (f: () => void): boolean => {
    try {
      f();
      return true;
    } catch {
      return false;
    }
  };
  switch (o.kind) {
    case "write": {
      const p = rel(o.folder, o.name);
      return tryIt(() => writeFileSync(abs(p), o.content)) ? [p] : [];
    }
    case "delete": {
      const p = rel(o.folder, o.name);
      return tryIt(() => rmSync(abs(p))) ? [p] : [];
    }
    case "rename": {
      const from = rel(o.folder, o.name);
      const to = rel(o.folder, o.to);
      return tryIt(() => renameSync(abs(from), abs(to))) ? [from, to] : [];
    }
    case "mkdir-write": {
      const dir = "fresh";
      tryIt(() => mkdirSync(abs(dir), { recursive: true }));
      return tryIt(() => writeFileSync(abs(`${dir}/${NAMES[o.name] ?? "x"}`), o.content)) ? [dir] : [];
    }
    case "rmdir": {
      const dir = FOLDERS[o.folder] ?? "agents";
      return tryIt(() => rmSync(abs(dir), { recursive: true })) ? [dir] : [];
    }
  }
}

test("rescanPaths after random edits equals a full scan, or asks for one", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) =>
      withTempDir((root) => {
        writeFiles(root, {
          ".caxtonignore": "*.tmp\n",
          "agents/a.toml": "a",
          "agents/team/b.md": "b",
          "prompts/c.txt": "c",
        });
        for (const f of FOLDERS) mkdirSync(join(root, f), { recursive: true });
        const scan = scanWorkspace(root);
        for (const o of ops) {
          const touched = apply(root, o);
          const outcome = rescanPaths(root, scan, touched);
          const fresh = scanWorkspace(root);
          if (outcome.kind === "full") {
            // what a watcher does then: walk everything
            scan.manifest = fresh.manifest;
            scan.files = fresh.files;
            continue;
          }
          assert.deepEqual(outcome.unsettled, []);
          assert.deepEqual(new Map([...scan.manifest].sort()), new Map([...fresh.manifest].sort()));
          assert.deepEqual([...scan.files.keys()].sort(), [...fresh.files.keys()].sort());
        }
      }),
    ),
    { numRuns: 60 },
  );
});

test("rescanPaths: a changed .caxtonignore or a new folder asks for a full scan", async () => {
  await withTempDir((root) => {
    writeFiles(root, { ".caxtonignore": "*.tmp\n", "agents/a.toml": "a" });
    const scan = scanWorkspace(root);
    writeFileSync(join(root, ".caxtonignore"), "");
    assert.equal(rescanPaths(root, scan, [".caxtonignore"]).kind, "full");
    mkdirSync(join(root, "agents/new"));
    assert.equal(rescanPaths(root, scan, ["agents/new"]).kind, "full");
    // an ignored path is dropped, an ignored folder too
    writeFileSync(join(root, "agents/x.tmp"), "x");
    const ignored = rescanPaths(root, scanWorkspace(root), ["agents/x.tmp"]);
    assert.deepEqual(ignored, { kind: "rescanned", changed: [], unsettled: [] });
  });
});

/** Every tree object of a tree by folder, and the set of objects it reaches (trees and blobs). */
function treeFacts(tree: MerkleTree, manifest: ReadonlyMap<string, string>) {
  return {
    root: tree.root,
    folders: new Map(
      [...tree.trees].map(([p, n]) => [p, Buffer.from(n.bytes).toString("hex")] as const).sort(),
    ),
    objects: new Set([...[...tree.trees.values()].map((n) => n.hash), ...manifest.values()]),
  };
}

test("rescanPaths: the incrementally updated tree, and the cache-tree it saves, equal a full rebuild", async () => {
  let reused = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 10 }), async (ops) =>
      withTempDir(async (root) => {
        const ws = join(root, "ws");
        writeFiles(ws, {
          ".caxtonignore": "*.tmp\n",
          "agents/a.toml": "a",
          "agents/team/b.md": "b",
          "prompts/c.txt": "c",
        });
        for (const f of FOLDERS) mkdirSync(join(ws, f), { recursive: true });
        const state = LocalState.open(join(root, "state"));
        try {
          // one port across the rescans, as deploy --watch keeps it
          const cache = state.statCache(ws);
          let scan: ScanResult = scanWorkspace(ws, { cache });
          for (const o of ops) {
            const touched = apply(ws, o);
            await sleep(25); // past the racy window, so a later scan may trust the cache
            const outcome = rescanPaths(ws, scan, touched, cache);
            if (outcome.kind === "full") {
              scan = scanWorkspace(ws, { cache }); // what the watch loop does then
              continue;
            }
            const fresh = scanWorkspace(ws);
            assert.deepEqual(
              treeFacts(scan.tree, scan.manifest),
              treeFacts(buildTree(fresh.manifest), fresh.manifest),
            );
            // a walk through the saved stat cache and cache-tree (a fresh read of the state) agrees too
            const cached = scanWorkspace(ws, { cache: state.statCache(ws) });
            assert.deepEqual(treeFacts(cached.tree, cached.manifest), treeFacts(fresh.tree, fresh.manifest));
            reused += cached.reusedFolders;
          }
        } finally {
          state.close();
        }
      }),
    ),
    { numRuns: 40 },
  );
  assert.ok(reused > 0, "some folder came from the saved cache-tree");
});
