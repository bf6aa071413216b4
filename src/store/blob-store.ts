/**
 * The blob-store port: content-addressed objects (blobs and tree objects) in a shared store, for servers whose
 * deployment state lives in a database. PostgreSQL implements it today (postgres/pg-blob-store.ts); an
 * S3-compatible store can implement it later without touching the deploy logic. Objects are immutable and
 * named by the SHA-256 of their bytes; the caller has verified that before `put`.
 */
export interface BlobStore {
  /** the subset of `hashes` the store holds */
  has(hashes: readonly string[]): Promise<Set<string>>;
  /** one object's bytes, or undefined when the store lacks it */
  get(hash: string): Promise<Buffer | undefined>;
  /** several objects' bytes (absent ones are left out) */
  getMany(hashes: readonly string[]): Promise<Map<string, Buffer>>;
  /**
   * Stores objects, each from a file or from memory. Idempotent: an object already held is left as it is
   * but counts as fresh again for garbage collection's grace period. Durable when the promise resolves
   * (or, for a store bound to a transaction, when that transaction commits).
   */
  put(objects: ReadonlyMap<string, string | Buffer>): Promise<void>;
  /** Every held hash with the time it was last stored (for garbage collection). */
  list(): Promise<{ hash: string; storedAt: Date }[]>;
  /** Removes objects; returns how many were held. */
  remove(hashes: readonly string[]): Promise<number>;
}
