/**
 * The two stores behind `caxton serve`, for tests that must hold for both: the file store (the default) and
 * the PostgreSQL store (`CAXTON_DATABASE_URL`). A test file runs its suite once per backend; the PostgreSQL
 * backend starts one throwaway cluster for the whole file, on first use, and each `serverEnv()` is a fresh
 * database. Call `stopBackends()` in the file's `after`.
 */
import { startPgCluster, type PgCluster } from "./postgres-cluster.js";

export const STORE_BACKENDS = ["file", "postgres"] as const;
export type StoreBackend = (typeof STORE_BACKENDS)[number];

let cluster: Promise<PgCluster> | null = null;

/** The environment for `caxton serve` (and for restarts of it: keep and reuse the same one). */
export async function serverEnv(backend: StoreBackend): Promise<Record<string, string>> {
  if (backend === "file") return { CAXTON_DATABASE_URL: "" };
  cluster ??= startPgCluster();
  return { CAXTON_DATABASE_URL: await (await cluster).createDatabase() };
}

/** The running cluster (starting it if needed), for tests that stop and restart PostgreSQL. */
export function postgresCluster(): Promise<PgCluster> {
  cluster ??= startPgCluster();
  return cluster;
}

export async function stopBackends(): Promise<void> {
  if (cluster) (await cluster).stop();
  cluster = null;
}
