/**
 * The PostgreSQL building blocks against a real throwaway cluster: migrations under concurrency, the blob
 * store (small and chunked objects, idempotence, transactions) and the head follower (notifications, a lost
 * notification, a restarted database).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type pg from "pg";
import { inTransaction, openPool } from "../../src/store/postgres/database.js";
import { migrate, SCHEMA_VERSION } from "../../src/store/postgres/migrations.js";
import { CHUNK_BYTES, PgBlobStore } from "../../src/store/postgres/pg-blob-store.js";
import { HeadFollower, type Head } from "../../src/store/postgres/head-follower.js";
import { startPgCluster, type PgCluster } from "../support/postgres-cluster.js";
import { cleanup, tempDir } from "../support/caxton-process.js";

const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

let cluster: PgCluster;
before(async () => {
  cluster = await startPgCluster();
});
after(() => cluster.stop());

describe("migrations", () => {
  test("replicas starting together apply each migration exactly once", async () => {
    const url = await cluster.createDatabase();
    const pools = Array.from({ length: 6 }, () => openPool({ url }));
    try {
      const results = await Promise.all(pools.map((p) => migrate(p)));
      assert.equal(results.filter((r) => r.from === 0).length, 1, "one replica migrated");
      assert.ok(results.every((r) => r.to === SCHEMA_VERSION));
      const { rows } = await pools[0]!.query("SELECT version FROM schema_version ORDER BY version");
      assert.deepEqual(
        rows.map((r: { version: number }) => r.version),
        Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
      );
      assert.deepEqual(await migrate(pools[1]!), { from: SCHEMA_VERSION, to: SCHEMA_VERSION });
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  test("a database newer than this build is refused with a hint", async () => {
    const url = await cluster.createDatabase();
    const pool = openPool({ url });
    try {
      await migrate(pool);
      await pool.query("INSERT INTO schema_version (version) VALUES ($1)", [SCHEMA_VERSION + 1]);
      await assert.rejects(migrate(pool), (err: Error & { code?: string }) => {
        assert.equal(err.code, "E_UNSUPPORTED");
        assert.match(err.message, /newer than this caxton/);
        return true;
      });
    } finally {
      await pool.end();
    }
  });

  test("the transaction log refuses edits", async () => {
    const url = await cluster.createDatabase();
    const pool = openPool({ url });
    try {
      await migrate(pool);
      await pool.query(
        "INSERT INTO txlog (workspace, time, txid, event) VALUES ('default', 'now', 't', 'begin')",
      );
      await assert.rejects(pool.query("UPDATE txlog SET event = 'x'"), /append-only/);
      await assert.rejects(pool.query("DELETE FROM txlog"), /append-only/);
    } finally {
      await pool.end();
    }
  });
});

describe("blob store", () => {
  test("small and chunked objects round-trip, from memory and from files", async () => {
    const url = await cluster.createDatabase();
    const pool = openPool({ url });
    const dir = tempDir();
    try {
      await migrate(pool);
      const store = new PgBlobStore(pool);
      const small = Buffer.from("name = 'a'\n");
      const empty = Buffer.alloc(0);
      const large = randomBytes(Math.floor(CHUNK_BYTES * 2.5));
      const largeFile = join(dir, "large");
      writeFileSync(largeFile, large);
      await store.put(
        new Map<string, string | Buffer>([
          [sha(small), small],
          [sha(empty), empty],
          [sha(large), largeFile],
        ]),
      );
      assert.deepEqual(await store.read(sha(small)), small);
      assert.deepEqual(await store.read(sha(empty)), empty);
      assert.ok((await store.read(sha(large)))?.equals(large));
      const { rows } = await pool.query("SELECT count(*)::int AS n FROM object_chunks WHERE hash = $1", [
        sha(large),
      ]);
      assert.equal(rows[0].n, 3, "2.5 MiB is three chunks");
      const missing = sha(Buffer.from("absent"));
      assert.deepEqual(
        await store.held([sha(small), missing, sha(large)]),
        new Set([sha(small), sha(large)]),
      );
      assert.equal(await store.read(missing), undefined);
      const many = await store.readMany([sha(small), sha(large), missing]);
      assert.equal(many.size, 2);
      // idempotent: storing again changes nothing but the time
      await store.put(new Map([[sha(large), largeFile]]));
      assert.ok((await store.read(sha(large)))?.equals(large));
      assert.equal((await store.list()).length, 3);
      assert.equal(await store.remove([sha(large), missing]), 1);
      const left = await pool.query("SELECT count(*)::int AS n FROM object_chunks WHERE hash = $1", [
        sha(large),
      ]);
      assert.equal(left.rows[0].n, 0, "chunks go with their object");
    } finally {
      await pool.end();
      cleanup(dir);
    }
  });

  test("objects stored in a transaction that rolls back are not there", async () => {
    const url = await cluster.createDatabase();
    const pool = openPool({ url });
    try {
      await migrate(pool);
      const data = randomBytes(CHUNK_BYTES + 10);
      await assert.rejects(
        inTransaction(pool, async (client) => {
          await new PgBlobStore(client).put(new Map([[sha(data), data]]));
          throw new Error("abort");
        }),
        /abort/,
      );
      assert.equal((await new PgBlobStore(pool).held([sha(data)])).size, 0);
      const { rows } = await pool.query("SELECT count(*)::int AS n FROM object_chunks");
      assert.equal(rows[0].n, 0);
    } finally {
      await pool.end();
    }
  });
});

describe("head follower", () => {
  const setHead = async (db: pg.Pool, id: number, notify: boolean): Promise<void> => {
    const root = "a".repeat(64);
    await db.query(
      `INSERT INTO deployments (id, workspace, root, kind, status, created_at, added, modified, deleted)
       VALUES ($1, 'default', $2, 'deploy', 'committed', 'now', 0, 0, 0)`,
      [id, root],
    );
    await db.query(
      `INSERT INTO heads (workspace, deployment_id, root) VALUES ('default', $1, $2)
       ON CONFLICT (workspace) DO UPDATE SET deployment_id = $1`,
      [id, root],
    );
    if (notify) await db.query("SELECT pg_notify('caxton_head', 'default')");
  };

  const waitFor = async (cond: () => boolean, ms: number): Promise<number> => {
    const start = Date.now();
    while (!cond()) {
      if (Date.now() - start > ms) throw new Error(`not within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return Date.now() - start;
  };

  test("hears a notification at once, finds a silent change on its timer, recovers after a restart", async () => {
    const url = await cluster.createDatabase();
    const pool = openPool({ url });
    await migrate(pool);
    const seen: (number | null)[] = [];
    const saw = (id: number): boolean => seen.includes(id);
    const follower = new HeadFollower({
      url,
      db: pool,
      workspace: "default",
      pollMs: 700,
      onHead: async (head: Head | null) => {
        seen.push(head?.deploymentId ?? null);
      },
    });
    try {
      await follower.start();
      assert.deepEqual(seen, [null], "the first check reports no head");
      await setHead(pool, 1, true);
      const fast = await waitFor(() => saw(1), 2_000);
      assert.ok(fast < 500, `a notified head arrives fast (${fast} ms)`);
      await setHead(pool, 2, false); // a lost notification
      await waitFor(() => saw(2), 3_000);
      cluster.halt("immediate");
      await waitFor(() => !follower.listening, 3_000);
      cluster.resume();
      await waitFor(() => follower.listening, 10_000);
      const fresh = openPool({ url });
      await setHead(fresh, 3, true);
      await fresh.end();
      await waitFor(() => saw(3), 5_000);
      assert.deepEqual(seen, [null, 1, 2, 3], "each head once, in order");
    } finally {
      await follower.stop();
      await pool.end();
    }
  });
});
