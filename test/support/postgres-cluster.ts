/**
 * A throwaway PostgreSQL cluster for tests, from the machine's own binaries: `initdb` into a temp dir, then
 * `pg_ctl start` on a free port on 127.0.0.1 (and a Unix socket in the same temp dir). PostgreSQL refuses to
 * run as root, so as root the cluster runs as the `postgres` user (the temp dir is handed to it). One
 * cluster per test file; `createDatabase()` gives each test a fresh, empty database. `stop()` removes it.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import pg from "pg";

export interface PgCluster {
  /** the port on 127.0.0.1 */
  port: number;
  /** a connection URL for a database of this cluster */
  url(database?: string): string;
  /** a new empty database; returns its URL */
  createDatabase(): Promise<string>;
  /** stops the server (the data survives); `mode` as pg_ctl's -m */
  halt(mode?: "fast" | "immediate"): void;
  /** starts it again on the same port */
  resume(): void;
  /** stops the server and removes the cluster */
  stop(): void;
}

/** Where initdb and pg_ctl live: $PATH first, else the newest Debian/Ubuntu install. */
export function postgresBinDir(): string {
  const onPath = spawnSync("sh", ["-c", "command -v pg_ctl"], { encoding: "utf8" }).stdout.trim();
  if (onPath) {
    const real = spawnSync("readlink", ["-f", onPath], { encoding: "utf8" }).stdout.trim();
    return join(real || onPath, "..");
  }
  const base = "/usr/lib/postgresql";
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => existsSync(join(base, v, "bin", "pg_ctl")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions[0]) {
    throw new Error("PostgreSQL binaries (initdb, pg_ctl) not found: install Debian's `postgresql` package");
  }
  return join(base, versions[0], "bin");
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      const port = typeof address === "object" && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

let counter = 0;

export async function startPgCluster(): Promise<PgCluster> {
  const bin = postgresBinDir();
  const root = mkdtempSync(join(tmpdir(), "caxton-pg-"));
  const data = join(root, "data");
  const asRoot = userInfo().uid === 0;
  const user = asRoot ? "postgres" : userInfo().username;
  if (asRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(root, uid, gid);
  }
  const run = (tool: string, args: string[]): void => {
    const argv = asRoot
      ? ["runuser", "-u", "postgres", "--", join(bin, tool), ...args]
      : [join(bin, tool), ...args];
    const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: "utf8", cwd: root });
    if (r.status !== 0) throw new Error(`${tool} failed (${r.status}): ${r.stderr || r.stdout}`);
  };
  run("initdb", ["-D", data, "-U", user, "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"]);
  const port = await freePort();
  // fsync off: the cluster is thrown away, and a killed postgres loses nothing the OS holds; commits stay
  // synchronous, so an immediate stop (a crash) keeps every commit that was acknowledged
  const options = [
    `-p ${port}`,
    "-c listen_addresses=127.0.0.1",
    `-c unix_socket_directories=${root}`,
    "-c fsync=off",
    "-c full_page_writes=off",
    "-c max_connections=200",
    "-c shared_buffers=32MB",
  ].join(" ");
  const start = (): void =>
    run("pg_ctl", ["-D", data, "-l", join(root, "log"), "-o", options, "-w", "-t", "60", "start"]);
  start();
  let running = true;
  const url = (database = "postgres"): string => `postgres://${user}@127.0.0.1:${port}/${database}`;
  return {
    port,
    url,
    async createDatabase() {
      const name = `t${process.pid}_${++counter}_${Date.now().toString(36)}`;
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    halt(mode = "fast") {
      if (!running) return;
      run("pg_ctl", ["-D", data, "-m", mode, "-w", "stop"]);
      running = false;
    },
    resume() {
      if (running) return;
      start();
      running = true;
    },
    stop() {
      if (running) {
        try {
          run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
        } catch {
          // already gone
        }
        running = false;
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}
