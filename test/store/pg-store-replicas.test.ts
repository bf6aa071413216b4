/**
 * The PostgreSQL store through the store port, two replicas (two data dirs) on one real database: a commit
 * through one is materialized by the other; commits through both are serialised with no lost deployment;
 * a replica on an empty data dir catches up; a lost database fails cleanly and is recovered from; retention
 * and collection remove what no kept deployment reaches.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildTree } from "../../src/merkle/build-tree.js";
import type { DeploymentStore } from "../../src/store/deployment-store.js";
import { openPgStore, type PgStore } from "../../src/store/postgres/pg-store.js";
import { cleanup, tempDir } from "../support/caxton-process.js";
import { startPgCluster, type PgCluster } from "../support/postgres-cluster.js";

const sha = (s: string | Buffer): string => createHash("sha256").update(s).digest("hex");
let txCounter = 0;

/** Commits a workspace of files through `store` on top of whatever is live; returns the new id. */
async function deployFiles(store: DeploymentStore, files: Record<string, string>): Promise<number> {
  const manifest = new Map(Object.entries(files).map(([p, c]) => [p, sha(c)]));
  const tree = buildTree(manifest);
  const txid = `t${++txCounter}-${process.pid}`;
  const dir = join(store.tempDir, txid);
  mkdirSync(dir, { recursive: true });
  const newObjects = new Map<string, string>();
  const put = (hash: string, bytes: string | Buffer): void => {
    const file = join(dir, hash);
    writeFileSync(file, bytes, { mode: 0o444 });
    newObjects.set(hash, file);
  };
  for (const content of Object.values(files)) put(sha(content), content);
  for (const node of tree.trees.values()) put(node.hash, node.bytes);
  const ws = store.workspace("default");
  return ws.withDeployLock(10_000, async (tx) => {
    const head = await tx.head();
    const { id } = await tx.commit({
      txid,
      root: tree.root,
      manifest,
      newObjects,
      parentId: head?.id ?? null,
      kind: "deploy",
      counts: { added: manifest.size, modified: 0, deleted: 0 },
      deployedBy: "test",
      meta: null,
    });
    return id;
  });
}

const waitFor = async (cond: () => boolean, ms: number, what: string): Promise<number> => {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return Date.now() - start;
};

const liveFile = (dataDir: string, path: string): string | null => {
  try {
    return readFileSync(join(dataDir, "current", path), "utf8");
  } catch {
    return null;
  }
};

let cluster: PgCluster;
before(async () => {
  cluster = await startPgCluster();
});
after(() => cluster.stop());

describe("PostgreSQL store, two replicas", () => {
  test("a commit through A is materialized by B, which reports it; an empty data dir catches up", async () => {
    const url = await cluster.createDatabase();
    const root = tempDir();
    const a = await openPgStore({ url, dataDir: join(root, "a"), pollMs: 500 });
    const b = await openPgStore({ url, dataDir: join(root, "b"), pollMs: 500 });
    let c: PgStore | undefined;
    try {
      const changes: number[] = [];
      b.onHeadChange((change) => changes.push(change.deploymentId));
      const id = await deployFiles(a, { "agents/one.toml": "name = 'one'\n", "README.md": "hi\n" });
      assert.equal(liveFile(join(root, "a"), "agents/one.toml"), "name = 'one'\n", "A swapped at commit");
      const ms = await waitFor(() => liveFile(join(root, "b"), "README.md") === "hi\n", 3_000, "B follows");
      assert.ok(ms < 1_000, `propagation through a notification is fast (${ms} ms)`);
      await waitFor(() => changes.includes(id), 1_000, "B reports the change");
      assert.equal(readlinkSync(join(root, "b", "current")), readlinkSync(join(root, "a", "current")));
      assert.equal((await b.workspace("default").head())?.id, id);
      c = await openPgStore({ url, dataDir: join(root, "c") });
      assert.equal(liveFile(join(root, "c"), "agents/one.toml"), "name = 'one'\n", "caught up at start");
    } finally {
      await Promise.all([a.close(), b.close(), c?.close()]);
      cleanup(root);
    }
  });

  test("deploys through both replicas at once are serialised: a linear history, nothing lost", async () => {
    const url = await cluster.createDatabase();
    const root = tempDir();
    const a = await openPgStore({ url, dataDir: join(root, "a") });
    const b = await openPgStore({ url, dataDir: join(root, "b") });
    try {
      const runs = Array.from({ length: 6 }, (_, i) =>
        deployFiles(i % 2 ? a : b, { "agents/x.toml": `n = ${i}\n`, [`f${i}.txt`]: `${i}\n` }),
      );
      const ids = await Promise.all(runs);
      assert.equal(new Set(ids).size, 6);
      const rows = await a.workspace("default").committed(100);
      assert.equal(rows.length, 6);
      for (let i = 0; i < rows.length - 1; i++) {
        assert.equal(rows[i]?.parent_id, rows[i + 1]?.id, "each deployment's parent is the one before");
      }
      const head = await a.workspace("default").head();
      assert.equal(head?.id, Math.max(...ids));
      await waitFor(
        () => readlinkSync(join(root, "a", "current")) === readlinkSync(join(root, "b", "current")),
        3_000,
        "both replicas on the same head",
      );
      const log = await a.workspace("default").entriesAfter("committed", 0, 100);
      assert.deepEqual(
        log.map((r) => r.deployment_id),
        [...ids].sort((x, y) => x - y),
        "the log lists commits in order",
      );
    } finally {
      await Promise.all([a.close(), b.close()]);
      cleanup(root);
    }
  });

  test("a lost database fails the deploy cleanly; both replicas recover by themselves", async () => {
    const url = await cluster.createDatabase();
    const root = tempDir();
    const a = await openPgStore({ url, dataDir: join(root, "a"), pollMs: 300 });
    const b = await openPgStore({ url, dataDir: join(root, "b"), pollMs: 300 });
    try {
      const first = await deployFiles(a, { "a.txt": "1\n" });
      cluster.halt("immediate");
      await assert.rejects(deployFiles(a, { "a.txt": "2\n" }), (err: Error & { code?: string }) => {
        assert.equal(err.code, "E_DATABASE", String(err));
        assert.match(err.message, /nothing was applied/);
        return true;
      });
      assert.equal(liveFile(join(root, "a"), "a.txt"), "1\n", "the old deployment stays live");
      cluster.resume();
      const second = await deployFiles(a, { "a.txt": "3\n" });
      assert.ok(second > first);
      await waitFor(() => liveFile(join(root, "b"), "a.txt") === "3\n", 5_000, "B follows after the restart");
      const rows = await b.workspace("default").committed(10);
      assert.deepEqual(
        rows.map((r) => r.id),
        [second, first],
      );
    } finally {
      cluster.resume();
      await Promise.all([a.close(), b.close()]);
      cleanup(root);
    }
  });

  test("retention prunes beyond --keep and collects what no kept deployment reaches", async () => {
    const url = await cluster.createDatabase();
    const root = tempDir();
    const a = await openPgStore({ url, dataDir: join(root, "a") });
    try {
      for (let i = 0; i < 4; i++) await deployFiles(a, { "same.txt": "kept\n", "only.txt": `only ${i}\n` });
      const report = await a.collectGarbage({ keepDeployments: 2, graceMs: 0, lockTimeoutMs: 5_000 });
      assert.equal(report.prunedDeployments.length, 2);
      assert.ok(report.removedObjects >= 2, "the pruned deployments' own files and trees go");
      assert.equal(await a.objects.has(sha("only 0\n")), false);
      assert.equal(await a.objects.has(sha("only 3\n")), true);
      assert.equal(await a.objects.has(sha("kept\n")), true);
      assert.equal((await a.workspace("default").committed(10)).length, 2);
      const again = await a.collectGarbage({ keepDeployments: 2, graceMs: 0, lockTimeoutMs: 5_000 });
      assert.equal(again.removedObjects, 0, "idempotent");
    } finally {
      await a.close();
      cleanup(root);
    }
  });
});
