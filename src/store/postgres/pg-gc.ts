/**
 * Retention and garbage collection in the database, in one transaction that holds the collection lock
 * exclusively, so no replica's deploy (which holds it shared) resolves against the objects meanwhile. Per
 * workspace: committed deployments beyond the newest `keepDeployments` (never the head) become `pruned`.
 * Then every object that no retained deployment of any workspace reaches, and that was last stored longer
 * ago than the grace period (by the database's clock, so replicas' clocks do not matter), is removed.
 * Being one transaction, a crash at any step (gc-begin, gc-rows-pruned, gc-first-object-removed) leaves
 * everything as it was; gc-done follows the commit.
 */
import type pg from "pg";
import { decodeTree } from "../../merkle/tree-object.js";
import type { RetentionPolicy, WorkspaceId } from "../deployment-store.js";
import type { DurabilityStep } from "../durable-fs.js";
import { inTransaction, LOCK_GC, LOCK_NAMESPACE, type Queryable } from "./database.js";

export interface DatabaseGcReport {
  prunedDeployments: { workspace: WorkspaceId; id: number }[];
  removed: string[];
  keptObjects: number;
}

export function collectGarbageInDatabase(
  pool: pg.Pool,
  policy: RetentionPolicy,
  treesOf: (roots: readonly string[], db: Queryable) => Promise<Map<string, Uint8Array>>,
  step: (name: DurabilityStep) => void,
): Promise<DatabaseGcReport> {
  const report = inTransaction(pool, async (db) => {
    await db.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(policy.lockTimeoutMs))}`);
    await db.query("SELECT pg_advisory_xact_lock($1, $2)", [LOCK_NAMESPACE, LOCK_GC]);
    step("gc-begin");
    const keep = Math.max(1, policy.keepDeployments);
    const { rows: pruned } = await db.query<{ workspace: string; id: string }>(
      `WITH ranked AS (
         SELECT d.id, d.workspace, row_number() OVER (PARTITION BY d.workspace ORDER BY d.id DESC) AS n
         FROM deployments d WHERE d.status = 'committed'
       )
       UPDATE deployments SET status = 'pruned'
       WHERE id IN (SELECT r.id FROM ranked r WHERE r.n > $1
                    AND r.id NOT IN (SELECT deployment_id FROM heads))
       RETURNING workspace, id`,
      [keep],
    );
    const now = new Date().toISOString();
    for (const row of pruned) {
      await db.query(
        `INSERT INTO txlog (workspace, time, txid, deployment_id, event) VALUES ($1, $2, 'gc', $3, 'pruned')`,
        [row.workspace, now, row.id],
      );
    }
    step("gc-rows-pruned");
    // mark: every object the retained deployments of every workspace reach
    const { rows: roots } = await db.query<{ root: string }>(
      "SELECT DISTINCT root FROM deployments WHERE status = 'committed'",
    );
    const trees = await treesOf(
      roots.map((r) => r.root),
      db,
    );
    const reachable = new Set<string>(roots.map((r) => r.root));
    for (const [hash, bytes] of trees) {
      reachable.add(hash);
      for (const e of decodeTree(bytes)) reachable.add(e.hash);
    }
    // sweep: unreachable and older than the grace period
    const { rows: old } = await db.query<{ hash: string }>(
      `SELECT hash FROM objects WHERE stored_at < now() - ($1::bigint * interval '1 millisecond')`,
      [Math.floor(policy.graceMs)],
    );
    const removed = old.map((r) => r.hash).filter((h) => !reachable.has(h));
    for (let i = 0; i < removed.length; i += 10_000) {
      await db.query("DELETE FROM objects WHERE hash = ANY($1::text[])", [removed.slice(i, i + 10_000)]);
      if (i === 0) step("gc-first-object-removed");
    }
    const byWorkspace = new Map<string, number[]>();
    for (const r of pruned)
      byWorkspace.set(r.workspace, [...(byWorkspace.get(r.workspace) ?? []), Number(r.id)]);
    if (removed.length > 0 && byWorkspace.size === 0) byWorkspace.set("default", []);
    for (const [workspace, ids] of byWorkspace) {
      await db.query(
        `INSERT INTO txlog (workspace, time, txid, event, detail) VALUES ($1, $2, 'gc', 'gc', $3)`,
        [workspace, now, JSON.stringify({ pruned: ids, removed_objects: removed.length })],
      );
    }
    const { rows: count } = await db.query<{ n: string }>("SELECT count(*) AS n FROM objects");
    return {
      prunedDeployments: pruned.map((r) => ({ workspace: r.workspace, id: Number(r.id) })),
      removed,
      keptObjects: Number(count[0]?.n ?? 0),
    };
  });
  return report.then((r) => {
    step("gc-done");
    return r;
  });
}
