/**
 * The server's identity: a random id made once and kept in DATA/server-id, reported by `GET /health`
 * (`server_id`) and on every answer as `Caxton-Server-Id`. Clients key what they remember about a server
 * (its base deployment, the objects it holds) by this id, so the same server reached as `localhost` and
 * `127.0.0.1`, or after a port change, is one server; a new data dir at the same address is a new one.
 */
import { randomUUID } from "node:crypto";
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";

export const SERVER_ID_HEADER = "Caxton-Server-Id";
const FILE = "server-id";
const VALID = /^[0-9a-f-]{36}$/;

export function loadServerIdentity(dataDirRoot: string): string {
  const path = join(dataDirRoot, FILE);
  const existing = read(path);
  if (existing) return existing;
  // written aside, then linked into place: two servers starting on one data dir agree on the first id
  const tmp = join(dataDirRoot, `${FILE}.${process.pid}.tmp`);
  const fd = openSync(tmp, "w", 0o644);
  try {
    writeSync(fd, `${randomUUID()}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
  const id = read(path);
  if (!id) throw new Error(`${path} does not hold a server id`);
  return id;
}

function read(path: string): string | null {
  try {
    const id = readFileSync(path, "utf8").trim();
    return VALID.test(id) ? id : null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}
