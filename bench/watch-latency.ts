/**
 * Edit-to-live latency of `caxton deploy --watch`: from the write of one agent file to `DATA/current`
 * showing it. Real processes (`caxton serve`, `caxton deploy --watch`), a generated workspace per size,
 * one edit at a time: each edit waits for the previous one's deploy line, so none coalesce.
 *
 * "Live" is seen through an fs.watch on the data dir (the `current` link is replaced by rename), with a 5 ms
 * poll beside it in case an event is late; the file under `current/` is read until it holds the edit's marker.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, watch, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startServe } from "../support/caxton-serve.js";
import { trackChild } from "./child-processes.js";
import { generateWorkspace, SIZES, type SizeName } from "./generate-workspace.js";
import { percentile } from "./sample-stats.js";

export interface WatchLatencyRow {
  size: SizeName;
  files: number;
  edits: number;
  /** write to visible in DATA/current, ms */
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  /** the deploy's own time as the watch line reports it (scan of the changed path to the server's answer) */
  deploy_p50_ms: number;
  /** round trips per deploy (the most seen) */
  round_trips: number;
  /** the goal for this size, ms at p50 */
  goal_p50_ms: number | null;
}

export const WATCH_GOALS: Partial<Record<SizeName, number>> = { M: 150, XL: 250 };

export interface WatchLatencyOptions {
  caxton: string;
  root: string;
  sizes: SizeName[];
  edits: (size: SizeName) => number;
  seed: number;
  log: (line: string) => void;
}

export async function runWatchLatency(opts: WatchLatencyOptions): Promise<WatchLatencyRow[]> {
  const rows: WatchLatencyRow[] = [];
  for (const name of opts.sizes) {
    const dir = join(opts.root, `watch-${name}`);
    const ws = generateWorkspace(join(dir, "ws"), SIZES[name], opts.seed);
    const env = { ...process.env, CAXTON_STATE_DIR: join(dir, "state"), NO_COLOR: "1" };
    mkdirSync(join(dir, "data"), { recursive: true });
    const server = await startServe({
      caxton: opts.caxton,
      dataDir: join(dir, "data"),
      env,
      quiet: true,
      onSpawn: trackChild,
    });
    const child = spawn(
      process.execPath,
      [opts.caxton, "deploy", ws.dir, "--server", server.url, "--watch"],
      {
        env,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    trackChild(child);
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    const lines = (): string[] => out.split("\n").filter((l) => / ✓ deployed #/.test(l));
    const waitLines = async (n: number, timeoutMs: number): Promise<void> => {
      const t0 = performance.now();
      while (lines().length < n) {
        if (child.exitCode !== null) throw new Error(`bench: deploy --watch exited:\n${out}\n${err}`);
        if (performance.now() - t0 > timeoutMs)
          throw new Error(`bench: no deploy line in ${timeoutMs} ms:\n${out}\n${err}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    try {
      opts.log(`watch ${name}: first deploy of ${ws.files} files`);
      await waitLines(1, 600_000);
      const latencies: number[] = [];
      const deployMs: number[] = [];
      let trips = 0;
      const edits = opts.edits(name);
      for (let i = 0; i < edits; i++) {
        const rel = ws.agents[(i * 7) % ws.agents.length] as string;
        const abs = join(ws.dir, rel);
        const marker = `# watch edit ${i} ${Date.now()}`;
        const content = `${readFileSync(abs, "utf8")}${marker}\n`;
        const seen = lines().length;
        await new Promise((r) => setTimeout(r, 50)); // the watcher idle, the page cache settled
        const t0 = performance.now();
        writeFileSync(abs, content);
        latencies.push((await liveAfter(server.dataDir, rel, marker, 120_000)) - t0);
        await waitLines(seen + 1, 120_000);
        const line = lines()[seen] ?? "";
        const m = / · (\d+) round trips? · ([\d.]+) (ms|s)/.exec(line);
        if (m) {
          trips = Math.max(trips, Number(m[1]));
          deployMs.push(Number(m[2]) * (m[3] === "s" ? 1000 : 1));
        }
      }
      const row: WatchLatencyRow = {
        size: name,
        files: ws.files,
        edits,
        p50_ms: percentile(latencies, 50) ?? Number.NaN,
        p99_ms: percentile(latencies, 99) ?? Number.NaN,
        max_ms: Math.max(...latencies),
        deploy_p50_ms: percentile(deployMs, 50) ?? Number.NaN,
        round_trips: trips,
        goal_p50_ms: WATCH_GOALS[name] ?? null,
      };
      opts.log(
        `watch ${name}: p50 ${row.p50_ms.toFixed(0)} ms, p99 ${row.p99_ms.toFixed(0)} ms over ${edits} edits`,
      );
      rows.push(row);
    } finally {
      child.kill("SIGINT");
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once("exit", r)));
      await server.stop();
    }
  }
  return rows;
}

/** When `current/rel` first holds `marker` (performance.now()). */
function liveAfter(dataDir: string, rel: string, marker: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      let text: string;
      try {
        text = readFileSync(join(dataDir, "current", rel), "utf8");
      } catch {
        return;
      }
      if (!text.includes(marker)) return;
      const at = performance.now();
      stop();
      resolve(at);
    };
    const watcher = watch(dataDir, () => check());
    const poll = setInterval(check, 5);
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`bench: ${rel} not live within ${timeoutMs} ms`));
    }, timeoutMs);
    const stop = (): void => {
      watcher.close();
      clearInterval(poll);
      clearTimeout(timer);
    };
    check();
  });
}

export function formatWatchTable(rows: readonly WatchLatencyRow[]): string {
  const ms = (n: number): string => `${Math.round(n)} ms`;
  const out = [
    "| size | files | edits | edit-to-live p50 | p99 | max | deploy line p50 | round trips | goal (p50) |",
    "| ---- | ----- | ----- | ---------------- | --- | --- | --------------- | ----------- | ---------- |",
  ];
  for (const r of rows) {
    const goal =
      r.goal_p50_ms === null
        ? "—"
        : `≤ ${r.goal_p50_ms} ms: ${r.p50_ms <= r.goal_p50_ms ? "met" : `**not met** (+${Math.round(r.p50_ms - r.goal_p50_ms)} ms)`}`;
    out.push(
      `| ${r.size} | ${r.files.toLocaleString("en")} | ${r.edits} | ${ms(r.p50_ms)} | ${ms(r.p99_ms)} | ${ms(r.max_ms)} | ${ms(r.deploy_p50_ms)} | ${r.round_trips} | ${goal} |`,
    );
  }
  return out.join("\n");
}
