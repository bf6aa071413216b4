import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import Database from "better-sqlite3";
import fc from "fast-check";
import { LocalState } from "../../src/client/local-state.js";
import { buildTree } from "../../src/merkle/build-tree.js";
import { diffTrees } from "../../src/merkle/diff-trees.js";
import { withTempDir } from "./helpers.js";

const hashArb = fc.constantFrom(...["a", "b", "c", "d"].map((c) => c.repeat(64)));
/** a small pool of paths, deep and shallow, so that folders come, go, and come back the same */
const pathArb = fc.constantFrom(
  "x.toml",
  "a/x.toml",
  "a/y.md",
  "a/b/z.md",
  "c/x.toml",
  "c/b/z.md",
  "d/e/f/g.md",
);
const manifestArb = fc
  .array(fc.tuple(pathArb, hashArb), { maxLength: 7 })
  .map((entries) => new Map(entries))
  .filter((m) => m.size > 0);

test("deployed trees recorded by the change: every tree of the last deployment can be read back, and the rows stay bounded", async () => {
  await withTempDir(async (dir) => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(manifestArb, { minLength: 1, maxLength: 12 }), async (manifests) => {
        const stateDir = join(dir, `state-${runs++}`);
        const state = LocalState.open(stateDir);
        const ws = "/ws";
        const server = "server-id";
        try {
          let last: string | undefined;
          manifests.forEach((files, i) => {
            const tree = buildTree(files);
            const base = last === undefined ? undefined : state.deployedTrees(ws, server, last);
            const diff = base && last !== undefined ? diffTrees(tree, last, (h) => base.get(h)) : undefined;
            state.recordDeployment(
              {
                workspace_path: ws,
                server_url: server,
                server_deployment_id: i + 1,
                deployed_checksum: tree.root,
                deployment_time: new Date(0).toISOString(),
                changes_count: 0,
              },
              { files },
              [],
              { nodes: tree.trees.values(), ...(diff ? { changed: new Set(diff.objects) } : {}) },
            );
            const read = state.deployedTrees(ws, server, tree.root);
            assert.ok(read, "the root is on record");
            for (const node of tree.trees.values())
              assert.deepEqual(read.get(node.hash), node.bytes, node.path);
            assert.equal(state.deployedTrees(ws, server, "e".repeat(64)), undefined, "another root is not");
            last = tree.root;
          });
          // rows of trees no longer reached are pruned once they outnumber the current ones
          const db = new Database(join(stateDir, "state.db"), { readonly: true });
          const rows = db.prepare(`SELECT count(*) FROM deployed_tree_objects`).pluck().get() as number;
          const kept = db.prepare(`SELECT tree_rows FROM deployed_trees`).pluck().get() as number;
          assert.equal(kept, rows, "the count kept beside the root is the rows' count");
          db.close();
          const current = buildTree(manifests[manifests.length - 1] as Map<string, string>).trees.size;
          assert.ok(rows <= 2 * current + current, `${rows} rows for ${current} trees`);
        } finally {
          state.close();
        }
      }),
      { numRuns: 80 },
    );
  });
});

test("an older state file with its trees in one record: the table is dropped, the deploy records anew", async () => {
  await withTempDir(async (dir) => {
    const db = new Database(join(dir, "state.db"));
    db.exec(`CREATE TABLE deployed_trees (workspace_path TEXT NOT NULL, server_url TEXT NOT NULL,
      root TEXT NOT NULL, trees BLOB NOT NULL, PRIMARY KEY (workspace_path, server_url))`);
    db.prepare(`INSERT INTO deployed_trees VALUES (?, ?, ?, ?)`).run(
      "/ws",
      "s",
      "a".repeat(64),
      Buffer.alloc(40),
    );
    db.close();
    const state = LocalState.open(dir);
    try {
      assert.equal(state.deployedTrees("/ws", "s", "a".repeat(64)), undefined);
    } finally {
      state.close();
    }
  });
});
