/**
 * The blob-store port (deployment-store.ts) on PostgreSQL: `objects` holds one row per object (hash, size, when last stored),
 * `object_chunks` its bytes in order, 1 MiB per chunk, so a large file is never one huge bytea (PostgreSQL
 * caps a value at 1 GB, and the client would hold it whole). Bound to the pool, each `put` batch is its own
 * transaction; bound to a transaction's client, everything commits or rolls back with that transaction.
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import pg from "pg";
import type { BlobStore } from "../deployment-store.js";
import { inTransaction, type Queryable } from "./database.js";

export const CHUNK_BYTES = 1024 * 1024;
/** Objects per INSERT (and bytes, roughly): one round trip for a typical deploy's few changed files. */
const BATCH_OBJECTS = 500;
const BATCH_BYTES = 8 * 1024 * 1024;

export class PgBlobStore implements BlobStore {
  constructor(private readonly db: Queryable) {}

  async hasMany(hashes: readonly string[]): Promise<boolean[]> {
    const held = await this.held(hashes);
    return hashes.map((h) => held.has(h));
  }

  async has(hash: string): Promise<boolean> {
    return (await this.held([hash])).has(hash);
  }

  async count(): Promise<number> {
    const { rows } = await this.db.query<{ n: string }>("SELECT count(*) AS n FROM objects");
    return Number(rows[0]?.n ?? 0);
  }

  async totalBytes(): Promise<number> {
    const { rows } = await this.db.query<{ n: string }>("SELECT coalesce(sum(size), 0) AS n FROM objects");
    return Number(rows[0]?.n ?? 0);
  }

  async size(hash: string): Promise<number | undefined> {
    const { rows } = await this.db.query<{ size: string }>("SELECT size FROM objects WHERE hash = $1", [
      hash,
    ]);
    return rows[0] ? Number(rows[0].size) : undefined;
  }

  /** The subset of `hashes` the store holds. */
  async held(hashes: readonly string[]): Promise<Set<string>> {
    const held = new Set<string>();
    for (let i = 0; i < hashes.length; i += 50_000) {
      const { rows } = await this.db.query<{ hash: string }>(
        "SELECT hash FROM objects WHERE hash = ANY($1::text[])",
        [hashes.slice(i, i + 50_000)],
      );
      for (const r of rows) held.add(r.hash);
    }
    return held;
  }

  async read(hash: string): Promise<Buffer | undefined> {
    return (await this.readMany([hash])).get(hash);
  }

  async readMany(hashes: readonly string[]): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>();
    if (hashes.length === 0) return out;
    const { rows } = await this.db.query<{ hash: string; data: Buffer }>(
      "SELECT hash, data FROM object_chunks WHERE hash = ANY($1::text[]) ORDER BY hash, seq",
      [hashes],
    );
    const parts = new Map<string, Buffer[]>();
    for (const r of rows) {
      const list = parts.get(r.hash);
      if (list) list.push(r.data);
      else parts.set(r.hash, [r.data]);
    }
    for (const [hash, list] of parts)
      out.set(hash, list.length === 1 ? (list[0] as Buffer) : Buffer.concat(list));
    return out;
  }

  async adopt(files: ReadonlyMap<string, string>): Promise<void> {
    await this.put(files);
  }

  /**
   * Stores objects, each from a file or from memory. Idempotent: an object already held keeps its bytes but
   * counts as freshly stored for garbage collection's grace period.
   */
  async put(objects: ReadonlyMap<string, string | Buffer>): Promise<void> {
    // an object's row and its chunks become visible together, or not at all
    if (this.db instanceof pg.Pool) {
      await inTransaction(this.db, (client) => new PgBlobStore(client).put(objects));
      return;
    }
    let batch: { hash: string; data: Buffer }[] = [];
    let bytes = 0;
    const flush = async (): Promise<void> => {
      if (batch.length > 0) await this.insertSmall(batch);
      batch = [];
      bytes = 0;
    };
    for (const [hash, source] of objects) {
      const size = typeof source === "string" ? statSync(source).size : source.length;
      if (size > CHUNK_BYTES) {
        await this.insertChunked(hash, source, size);
        continue;
      }
      const data = typeof source === "string" ? readWhole(source, size) : source;
      batch.push({ hash, data });
      bytes += size;
      if (batch.length >= BATCH_OBJECTS || bytes >= BATCH_BYTES) await flush();
    }
    await flush();
  }

  /** Small objects: one statement for the rows and one for their single chunks. */
  private async insertSmall(batch: { hash: string; data: Buffer }[]): Promise<void> {
    const hashes = batch.map((b) => b.hash);
    await this.db.query(
      `INSERT INTO objects (hash, size)
       SELECT * FROM unnest($1::text[], $2::bigint[])
       ON CONFLICT (hash) DO UPDATE SET stored_at = now()`,
      [hashes, batch.map((b) => b.data.length)],
    );
    await this.db.query(
      `INSERT INTO object_chunks (hash, seq, data)
       SELECT h, 0, d FROM unnest($1::text[], $2::bytea[]) AS t (h, d)
       ON CONFLICT (hash, seq) DO NOTHING`,
      [hashes, batch.map((b) => b.data)],
    );
  }

  /** A large object, read and written one chunk at a time (memory: one chunk). */
  private async insertChunked(hash: string, source: string | Buffer, size: number): Promise<void> {
    const inserted = await this.db.query(
      `INSERT INTO objects (hash, size) VALUES ($1, $2)
       ON CONFLICT (hash) DO UPDATE SET stored_at = now() RETURNING (xmax = 0) AS fresh`,
      [hash, size],
    );
    if (inserted.rows[0]?.fresh === false) return; // held already, chunks and all (rows commit together)
    const fd = typeof source === "string" ? openSync(source, "r") : null;
    try {
      const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
      for (let seq = 0, offset = 0; offset < size; seq++, offset += CHUNK_BYTES) {
        const n = Math.min(CHUNK_BYTES, size - offset);
        const data =
          fd === null
            ? (source as Buffer).subarray(offset, offset + n)
            : chunk.subarray(0, readSync(fd, chunk, 0, n, offset));
        await this.db.query("INSERT INTO object_chunks (hash, seq, data) VALUES ($1, $2, $3)", [
          hash,
          seq,
          data,
        ]);
      }
    } finally {
      if (fd !== null) closeSync(fd);
    }
  }

  /** Every held hash with the time it was last stored (for garbage collection). */
  async list(): Promise<{ hash: string; storedAt: Date }[]> {
    const { rows } = await this.db.query<{ hash: string; stored_at: Date }>(
      "SELECT hash, stored_at FROM objects",
    );
    return rows.map((r) => ({ hash: r.hash, storedAt: r.stored_at }));
  }

  /** Removes objects with their chunks; returns how many were held. */
  async remove(hashes: readonly string[]): Promise<number> {
    if (hashes.length === 0) return 0;
    const r = await this.db.query("DELETE FROM objects WHERE hash = ANY($1::text[])", [hashes]);
    return r.rowCount ?? 0;
  }
}

function readWhole(path: string, size: number): Buffer {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.allocUnsafe(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}
