/**
 * `npm run bench:scale-out [-- --runs N]`: replicas on PostgreSQL, against the real processes and a throwaway
 * PostgreSQL cluster (test/support/postgres-cluster.ts). Measures
 * - propagation: a deploy through replica A, from A's `DATA/current` switching (right after the commit) to
 *   replica B's switching (p50, p99), both polled every millisecond;
 * - a one-agent deploy (size M) through a replica on PostgreSQL vs a server on the file store, same run;
 * - two replicas taking deploys concurrently: deploys per second, and a check that none was lost or mixed
 *   (a linear history, each acknowledged root recorded once, both replicas on the database's head).
 */
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { startPgCluster } from "../test/support/postgres-cluster.js";
import { CAXTON, startServe, type ServeOptions, type ServeProcess } from "../support/caxton-serve.js";
import { killTrackedChildren, trackChild } from "./child-processes.js";
import { generateWorkspace, SIZES, type GeneratedWorkspace } from "./generate-workspace.js";
import { editAgent, pickAgents } from "./mutate-workspace.js";
import { percentile, sampleStats } from "./sample-stats.js";

interface DeployRun {
  code: number;
  ms: number;
  json: Record<string, unknown> | null;
  stderr: string;
}

function deploy(ws: string, server: string, stateDir: string): Promise<DeployRun> {
  return new Promise((resolvePromise, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, [CAXTON, "deploy", ws, "--server", server, "--json", "--yes"], {
      env: { ...process.env, NO_COLOR: "1", CAXTON_STATE_DIR: stateDir, CAXTON_SERVER: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    trackChild(child);
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      let json: Record<string, unknown> | null = null;
      try {
        json = JSON.parse(out) as Record<string, unknown>;
      } catch {
        json = null;
      }
      resolvePromise({ code: code ?? -1, ms: performance.now() - start, json, stderr: err });
    });
  });
}

const linkOf = (dataDir: string): string | null => {
  try {
    return readlinkSync(join(dataDir, "current"));
  } catch {
    return null;
  }
};

const round = (n: number | null | undefined): string => (n == null ? "–" : n.toFixed(1));

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: "string" } }, strict: true });
  const runs = Math.max(5, Number(values.runs ?? 30));
  const root = mkdtempSync(join(tmpdir(), "caxton-bench-scale-"));
  const cluster = await startPgCluster();
  process.once("SIGINT", () => {
    killTrackedChildren();
    cluster.stop();
    process.exit(130);
  });
  const servers: ServeProcess[] = [];
  try {
    const url = await cluster.createDatabase();
    const serve: ServeOptions = { quiet: true, onSpawn: trackChild };
    const a = await startServe({ ...serve, dataDir: join(root, "a"), databaseUrl: url });
    const b = await startServe({ ...serve, dataDir: join(root, "b"), databaseUrl: url });
    const file = await startServe({
      ...serve,
      dataDir: join(root, "file"),
      env: { CAXTON_DATABASE_URL: "" },
    });
    servers.push(a, b, file);
    const ws = generateWorkspace(join(root, "ws"), SIZES.M);
    const agents = pickAgents(ws, runs);

    // one-agent deploys on PostgreSQL vs the file store (after each one's first deploy)
    const pgState = join(root, "state-pg");
    const fileState = join(root, "state-file");
    for (const [server, state] of [
      [a.url, pgState],
      [file.url, fileState],
    ] as const) {
      const first = await deploy(ws.dir, server, state);
      if (first.code !== 0) throw new Error(`bench: first deploy failed: ${first.stderr}`);
    }
    const pgMs: number[] = [];
    const fileMs: number[] = [];
    const propagation: number[] = [];
    for (let i = 0; i < runs; i++) {
      editAgent(ws, agents[i % agents.length] as string);
      const beforeA = linkOf(a.dataDir);
      const beforeB = linkOf(b.dataDir);
      let aAt: number | null = null;
      let bAt: number | null = null;
      const poll = setInterval(() => {
        const now = performance.now();
        if (aAt === null && linkOf(a.dataDir) !== beforeA) aAt = now;
        if (bAt === null && linkOf(b.dataDir) !== beforeB) bAt = now;
      }, 1);
      const r = await deploy(ws.dir, a.url, pgState);
      const acked = performance.now();
      if (r.code !== 0) throw new Error(`bench: deploy through A failed: ${r.stderr}`);
      while ((aAt === null || bAt === null) && performance.now() - acked < 10_000) {
        await new Promise((s) => setTimeout(s, 1));
      }
      clearInterval(poll);
      if (aAt === null || bAt === null) throw new Error("bench: replica B did not follow within 10 s");
      // from A's swap (right after its commit) to B's swap, both seen by this process's 1 ms poll
      propagation.push(Math.max(0, (bAt as number) - (aAt as number)));
      pgMs.push(r.ms);
      const f = await deploy(ws.dir, file.url, fileState);
      if (f.code !== 0) throw new Error(`bench: deploy to the file store failed: ${f.stderr}`);
      fileMs.push(f.ms);
    }

    // two replicas taking deploys concurrently, each from its own clone of the workspace
    const clones: GeneratedWorkspace[] = [0, 1].map((k) => {
      const dir = join(root, `clone-${k}`);
      cpSync(ws.dir, dir, { recursive: true });
      return { ...ws, dir };
    });
    const concurrentRuns = Math.max(5, Math.floor(runs / 2));
    const acknowledged: string[] = [];
    let failed = 0;
    const started = performance.now();
    await Promise.all(
      [a, b].map(async (server, k) => {
        const clone = clones[k] as GeneratedWorkspace;
        for (let i = 0; i < concurrentRuns; i++) {
          editAgent(clone, agents[(i * 2 + k) % agents.length] as string);
          const r = await deploy(clone.dir, server.url, join(root, `state-c${k}`));
          if (r.code === 0 && typeof r.json?.deployed_checksum === "string") {
            acknowledged.push(r.json.deployed_checksum);
          } else failed++;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    const { rows } = await db.query<{ id: string; parent_id: string | null; root: string }>(
      "SELECT id, parent_id, root FROM deployments WHERE workspace = 'default' ORDER BY id",
    );
    const head = (await db.query<{ deployment_id: string }>("SELECT deployment_id FROM heads")).rows[0];
    await db.end();
    const linear = rows.every((r, i) => i === 0 || r.parent_id === rows[i - 1]?.id);
    const roots = new Set(rows.map((r) => r.root));
    const lost = acknowledged.filter((r) => !roots.has(r)).length;
    await new Promise((s) => setTimeout(s, 2_500)); // one follower period at most
    const same =
      linkOf(a.dataDir) === linkOf(b.dataDir) &&
      linkOf(a.dataDir)?.endsWith(String(head?.deployment_id).padStart(8, "0"));

    const pgStats = sampleStats(pgMs);
    const fileStats = sampleStats(fileMs);
    console.log(`\n## Replicas on PostgreSQL (size M, ${runs} runs, ${new Date().toISOString()})\n`);
    console.log("| measure | value |");
    console.log("| --- | --- |");
    console.log(`| propagation A → B, p50 | ${round(percentile(propagation, 50))} ms |`);
    console.log(`| propagation A → B, p99 | ${round(percentile(propagation, 99))} ms |`);
    console.log(
      `| one-agent deploy, PostgreSQL replica (median, min–max) | ${round(pgStats?.median)} ms (${round(pgStats?.min)}–${round(pgStats?.max)}) |`,
    );
    console.log(
      `| one-agent deploy, file store (median, min–max) | ${round(fileStats?.median)} ms (${round(fileStats?.min)}–${round(fileStats?.max)}) |`,
    );
    console.log(
      `| two replicas concurrently: deploys per second | ${(acknowledged.length / seconds).toFixed(2)} (${acknowledged.length} acknowledged, ${failed} failed, ${seconds.toFixed(1)} s) |`,
    );
    console.log(
      `| lost deployments / linear history / replicas on the head | ${lost} / ${linear ? "yes" : "NO"} / ${same ? "yes" : "NO"} |`,
    );
    if (lost > 0 || !linear || !same) process.exitCode = 1;
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    killTrackedChildren();
    cluster.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
