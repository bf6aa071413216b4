/**
 * The connection pool to a replica set's PostgreSQL database, and the mapping of its failures onto our one
 * error type: a database that is unreachable, restarting or dropping connections becomes E_DATABASE (503,
 * exit 3), a deploy lock that cannot be had in time E_BUSY. A transaction that fails is rolled back whole,
 * so both always mean "nothing was applied".
 */
import pg from "pg";
import { CaxtonError, isCaxtonError } from "../../errors/caxton-error.js";

export type Queryable = pg.Pool | pg.PoolClient | pg.Client;

/** Advisory-lock namespace of Caxton ("CAXT"); the second key names the lock within it. */
export const LOCK_NAMESPACE = 0x43415854;
/** Second keys: migrations; garbage collection (exclusive) against deploys (shared). */
export const LOCK_MIGRATIONS = 1;
export const LOCK_GC = 2;

export interface DatabaseOptions {
  url: string;
  /** connections in the pool (default 10) */
  max?: number;
  /** a connection attempt that takes longer fails (default 5 s) */
  connectTimeoutMs?: number;
}

export function openPool(options: DatabaseOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
    application_name: "caxton",
  });
  // an idle client whose server went away emits here; the pool drops it and the next query reconnects
  pool.on("error", () => {});
  // a checked-out client whose server goes away emits too; the query in flight rejects, which we map
  pool.on("connect", (client) => client.on("error", () => {}));
  return pool;
}

/**
 * A client from the pool that has run `first`. A pooled connection the database dropped while it sat idle
 * (a restart) fails on its first statement, before anything of ours was done on it: it is discarded and
 * one fresh connection is tried instead, so the first deploy after a restart does not fail for it.
 */
export async function connectAndRun(pool: pg.Pool, first: string): Promise<pg.PoolClient> {
  for (let attempt = 0; ; attempt++) {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw databaseError(err);
    }
    try {
      await client.query(first);
      return client;
    } catch (err) {
      client.release(true);
      const mapped = databaseError(err);
      const lost = isCaxtonError(mapped) && mapped.code === "E_DATABASE";
      if (!lost || attempt >= 1) throw mapped;
    }
  }
}

/** Runs `work` in one transaction (BEGIN … COMMIT, ROLLBACK on any error); the client goes back afterwards. */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await connectAndRun(pool, "BEGIN");
  let broken = false;
  try {
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (err) {
    try {
      await client.query("ROLLBACK");
    } catch {
      broken = true; // the connection is gone; the server rolled the transaction back when it went
    }
    throw databaseError(err);
  } finally {
    client.release(broken);
  }
}

const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
]);

/** Our error for a database failure; a CaxtonError passes through unchanged. */
export function databaseError(err: unknown): unknown {
  if (isCaxtonError(err)) return err;
  const e = err as { code?: string; message?: string };
  const code = typeof e?.code === "string" ? e.code : "";
  // 55P03 lock_not_available: lock_timeout expired waiting for the deploy lock
  if (code === "55P03") {
    return new CaxtonError("E_BUSY", "another deployment held the deploy lock for too long", { cause: err });
  }
  // class 08 connection exceptions, 57P0x shutdown/crash, 53xxx insufficient resources, node socket errors
  const unreachable =
    CONNECTION_CODES.has(code) ||
    code.startsWith("08") ||
    code.startsWith("57P") ||
    code.startsWith("53") ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i.test(
      e?.message ?? "",
    );
  if (unreachable) {
    return new CaxtonError(
      "E_DATABASE",
      `the server lost its database (${code || (e?.message ?? "connection error")}); nothing was applied`,
      { cause: err },
    );
  }
  return err;
}
