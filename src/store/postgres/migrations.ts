/**
 * The database schema, as numbered migrations. `migrate` runs the ones a database lacks, all in one
 * transaction under an advisory lock, so replicas that start together apply each exactly once (the others
 * wait for the lock, then find nothing to do), and a failure leaves the schema as it was. `schema_version`
 * records what was applied. A database newer than this build is refused rather than guessed at.
 */
import type pg from "pg";
import { CaxtonError } from "../../errors/caxton-error.js";
import { connectAndRun, databaseError, LOCK_MIGRATIONS, LOCK_NAMESPACE } from "./database.js";

/** Every table carries the workspace its rows belong to, except objects, which all workspaces share. */
export const MIGRATIONS: readonly { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
CREATE TABLE objects (
  hash text PRIMARY KEY CHECK (hash ~ '^[0-9a-f]{64}$'),
  size bigint NOT NULL CHECK (size >= 0),
  stored_at timestamptz NOT NULL DEFAULT now()
);
-- an object's bytes in order; one chunk for most objects, 1 MiB each for large ones
CREATE TABLE object_chunks (
  hash text NOT NULL REFERENCES objects (hash) ON DELETE CASCADE,
  seq integer NOT NULL CHECK (seq >= 0),
  data bytea NOT NULL,
  PRIMARY KEY (hash, seq)
);
CREATE TABLE deployments (
  id bigserial PRIMARY KEY,
  workspace text NOT NULL,
  root text NOT NULL CHECK (root ~ '^[0-9a-f]{64}$'),
  parent_id bigint REFERENCES deployments (id),
  kind text NOT NULL CHECK (kind IN ('deploy', 'rollback')),
  status text NOT NULL CHECK (status IN ('committed', 'pruned')),
  created_at text NOT NULL,
  added integer NOT NULL,
  modified integer NOT NULL,
  deleted integer NOT NULL,
  deployed_by text,
  meta text
);
CREATE INDEX deployments_by_workspace ON deployments (workspace, status, id DESC);
-- the live deployment of each workspace; changed only together with the deployment row, in one transaction
CREATE TABLE heads (
  workspace text PRIMARY KEY,
  deployment_id bigint NOT NULL REFERENCES deployments (id),
  root text NOT NULL
);
CREATE TABLE txlog (
  seq bigserial PRIMARY KEY,
  workspace text NOT NULL,
  time text NOT NULL,
  txid text NOT NULL,
  deployment_id bigint,
  event text NOT NULL,
  detail text
);
CREATE INDEX txlog_by_event ON txlog (workspace, event, seq);
-- append-only: the log is evidence, so the database itself refuses edits
CREATE FUNCTION caxton_txlog_append_only() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN RAISE EXCEPTION 'txlog is append-only'; END $$;
CREATE TRIGGER txlog_append_only BEFORE UPDATE OR DELETE ON txlog
  FOR EACH ROW EXECUTE FUNCTION caxton_txlog_append_only();
`,
  },
  {
    version: 2,
    sql: `
-- the replica set's one identity (clients key what they remember about a server by it): every replica on
-- this database reports the same id, so a load balancer's choice of replica is not a new server to a client
CREATE TABLE replica_set (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  server_id text NOT NULL CHECK (server_id ~ '^[0-9a-f-]{36}$')
);
`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/** Brings the schema up to date; returns the version found and the version left. */
export async function migrate(pool: pg.Pool): Promise<{ from: number; to: number }> {
  const client = await connectAndRun(pool, "BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock($1, $2)", [LOCK_NAMESPACE, LOCK_MIGRATIONS]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_version (
         version integer PRIMARY KEY,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const { rows } = await client.query<{ v: number }>(
      "SELECT coalesce(max(version), 0)::int AS v FROM schema_version",
    );
    const from = rows[0]?.v ?? 0;
    if (from > SCHEMA_VERSION) {
      throw new CaxtonError(
        "E_UNSUPPORTED",
        `the database's schema is version ${from}, newer than this caxton's ${SCHEMA_VERSION}`,
        { hint: "upgrade caxton on this replica to the version the others run" },
      );
    }
    for (const m of MIGRATIONS) {
      if (m.version <= from) continue;
      await client.query(m.sql);
      await client.query("INSERT INTO schema_version (version) VALUES ($1)", [m.version]);
    }
    await client.query("COMMIT");
    return { from, to: Math.max(from, SCHEMA_VERSION) };
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw databaseError(err);
  } finally {
    client.release();
  }
}
