/**
 * The benchmark's scenarios, run against the real processes for one workspace size: `caxton serve` on a
 * loopback port with its own data dir, `caxton deploy --json` / `caxton status --json` with their own state
 * dir, and, in the same run and on the same change, git (commit + push to a git daemon) and rsync (to an
 * rsync daemon) where they are installed.
 *
 * Each scenario runs `warmups` unrecorded times (the first deploy none), then `runs` measured times. A scenario that changes the
 * workspace re-creates its precondition before every run (first deploy: a fresh server data dir, client
 * state, git remote and rsync destination; changes: content never written before; rename and revert:
 * alternate between two states that were both deployed), so every run measures the same thing.
 */
import { measuredEnv } from "./measured-env.js";
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { startServe, type ServeProcess } from "../support/caxton-serve.js";
import { trackChild } from "./child-processes.js";
import type { GitComparison } from "./compare-git.js";
import type { RsyncComparison, RsyncSample } from "./compare-rsync.js";
import type { GeneratedWorkspace } from "./generate-workspace.js";
import { assertSuccess, measureProcess, PeakRssProbe, type ProcessSample } from "./measure-process.js";
import {
  editAgent,
  editOneLine,
  pickAgents,
  restore,
  snapshot,
  toggleRename,
  type Snapshot,
} from "./mutate-workspace.js";
import { moveToTrash } from "./move-to-trash.js";
import { sampleStats, type Stats } from "./sample-stats.js";

export type ScenarioId =
  | "first-deploy"
  | "no-change"
  | "status"
  | "one-agent"
  | "ten-agents"
  | "fifty-agents"
  | "edit-1mb"
  | "rename-large"
  | "revert"
  | "monitor-no-change"
  | "monitor-one-agent";

/** One measured run of our CLI. */
export interface OursRun {
  wallMs: number;
  clientRssKb: number | null;
  serverRssKb: number | null;
  /** from `deploy --json`; null for `status` (offline) */
  roundTrips: number | null;
  bytesSent: number | null;
  bytesReceived: number | null;
  applyMs: number | null;
  durationMs: number | null;
  /** the client's own phase breakdown (discovery, validation, transfer, apply) from `deploy --json` */
  phases: Record<string, number> | null;
  contentBytesSent: number | null;
  filesChanged: number | null;
  hashed: number | null;
  cached: number | null;
  upToDate: boolean | null;
  /** the scan was the file-system monitor's (`scan.monitor` of `deploy --json`) */
  monitored: boolean | null;
}

export interface ToolSummary {
  command: string;
  wallMs: Stats;
  rssKb: Stats | null;
  bytesSent: Stats | null;
  bytesReceived: Stats | null;
  samples: number[];
}

/** `skipped`: the tool is missing, or this comparison does not apply to the scenario. */
export type Comparison = ToolSummary | { skipped: string };

export interface ScenarioResult {
  id: ScenarioId;
  label: string;
  runs: number;
  warmups: number;
  ours: {
    command: string;
    wallMs: Stats;
    clientRssKb: Stats | null;
    serverRssKb: Stats | null;
    roundTrips: Stats | null;
    bytesSent: Stats | null;
    bytesReceived: Stats | null;
    applyMs: Stats | null;
    contentBytesSent: Stats | null;
    raw: OursRun[];
  };
  git: Comparison;
  rsync: Comparison;
  /** runs that did not do what the scenario claims (e.g. a change that deployed nothing) */
  warnings: string[];
}

export interface SizeRunOptions {
  /** path of bin/caxton */
  caxton: string;
  /** a scratch folder for this size (server data dirs, client state), removed by the caller */
  root: string;
  ws: GeneratedWorkspace;
  runs: number;
  warmups: number;
  git: GitComparison | string;
  rsync: RsyncComparison | string;
  /** measured runs of the first deploy, the costliest scenario (default: `runs`) */
  firstDeployRuns?: number;
  only?: readonly ScenarioId[];
  log: (line: string) => void;
}

interface Context {
  opts: SizeRunOptions;
  ws: GeneratedWorkspace;
  server: ServeProcess | null;
  probe: PeakRssProbe | null;
  stateDir: string;
  dataDir: string;
  serverCount: number;
  /** `caxton monitor` runs for the workspace (stopped with the server) */
  monitor: boolean;
  /** where ws.largeFile is now (the rename scenario moves it) */
  largePath: string | null;
  scratchDir: string;
}

interface Scenario {
  id: ScenarioId;
  label: string;
  /** null when the scenario applies to this workspace, else why not */
  skip(ws: GeneratedWorkspace): string | null;
  /** untimed, once before the warm-ups */
  prepare?(ctx: Context): Promise<void>;
  /** untimed, before each run (warm-ups included); k counts from 0 */
  before?(ctx: Context, k: number): Promise<void> | void;
  ours(ctx: Context): Promise<OursRun>;
  /** per tool: a reason string when not compared for this scenario */
  git: ((g: GitComparison) => Promise<ProcessSample>) | string;
  rsync: ((r: RsyncComparison) => Promise<RsyncSample>) | string;
}

const NO_LARGE = (ws: GeneratedWorkspace): string | null =>
  ws.largeFile ? null : "no large file in this size";

export const SCENARIOS: readonly Scenario[] = [
  {
    id: "first-deploy",
    label: "first deploy",
    skip: () => null,
    async before(ctx) {
      await freshServer(ctx);
    },
    ours: deploy,
    git: async (g) => {
      await g.reset();
      return g.publish("first deploy");
    },
    rsync: async (r) => {
      r.resetDestination();
      return r.sync();
    },
  },
  {
    id: "no-change",
    label: "no change",
    skip: () => null,
    ours: deploy,
    git: (g) => g.publishUnchanged(),
    rsync: (r) => r.sync(),
  },
  {
    id: "status",
    label: "`status` offline",
    skip: () => null,
    ours: status,
    git: (g) => g.status(),
    rsync: "no rsync equivalent",
  },
  changeAgents("one-agent", "one agent changed", 1),
  changeAgents("ten-agents", "10 agents changed", 10),
  changeAgents("fifty-agents", "50 agents changed", 50),
  {
    id: "edit-1mb",
    label: "one-line edit in a 1 MiB file",
    skip: NO_LARGE,
    before: (ctx) => editOneLine(ctx.ws, ctx.largePath as string),
    ours: deploy,
    git: (g) => g.publish("edit one line"),
    rsync: (r) => r.sync(),
  },
  {
    id: "rename-large",
    label: "rename of the 1 MiB file",
    skip: NO_LARGE,
    before: (ctx) => {
      ctx.largePath = toggleRename(ctx.ws, ctx.largePath as string);
    },
    ours: deploy,
    git: (g) => g.publish("rename"),
    rsync: "rsync -a without --delete keeps the old name: not the same result",
  },
  revertScenario(),
  // the same two with `caxton monitor` running: the scan stats what the monitor names, not every file
  {
    ...changeAgents("monitor-no-change", "no change, with `caxton monitor`", 0),
    skip: () => null,
    prepare: startMonitor,
    before: undefined,
    git: (g) => g.publishUnchanged(),
  },
  {
    ...changeAgents("monitor-one-agent", "one agent changed, with `caxton monitor`", 1),
    prepare: startMonitor,
  },
];

async function startMonitor(ctx: Context): Promise<void> {
  const r = await measureProcess(process.execPath, [ctx.opts.caxton, "monitor", "start", ctx.ws.dir], {
    env: cliEnv(ctx),
    scratchDir: ctx.scratchDir,
    timeoutMs: 120_000,
  });
  assertSuccess(r);
  ctx.monitor = true;
  await deploy(ctx); // untimed: the walk after a monitor starts, which takes its first token
}

function changeAgents(id: ScenarioId, label: string, count: number): Scenario {
  return {
    id,
    label,
    skip: (ws) => (ws.agents.length < count * 2 ? `fewer than ${count * 2} agents` : null),
    before: (ctx) => {
      for (const rel of pickAgents(ctx.ws, count)) editAgent(ctx.ws, rel);
    },
    ours: deploy,
    git: (g) => g.publish(label),
    rsync: (r) => r.sync(),
  };
}

/**
 * Revert: one agent (and the 1 MiB file, where the size has one) go back to content that was deployed
 * before. Prepared by deploying a new version B over the current A with every tool; the runs then alternate
 * A, B, A, … so each one restores the content that was live one deployment earlier.
 */
function revertScenario(): Scenario {
  let a: Snapshot = new Map();
  let b: Snapshot = new Map();
  const paths = (ctx: Context): string[] => [
    ...pickAgents(ctx.ws, 1),
    ...(ctx.largePath ? [ctx.largePath] : []),
  ];
  return {
    id: "revert",
    label: "revert (one agent, and the 1 MiB file if any)",
    skip: () => null,
    async prepare(ctx) {
      a = snapshot(ctx.ws, paths(ctx));
      b = new Map();
      const [agent] = pickAgents(ctx.ws, 1);
      // B must differ from A in size too (rsync's quick check; see mutate-workspace.ts)
      for (let i = 0; i < 10 && sameSizes(a, b); i++) {
        editAgent(ctx.ws, agent as string);
        if (ctx.largePath) editOneLine(ctx.ws, ctx.largePath);
        b = snapshot(ctx.ws, paths(ctx));
      }
      await deploy(ctx);
      const { git, rsync } = ctx.opts;
      if (typeof git !== "string") await git.publish("revert: version B");
      if (typeof rsync !== "string") await rsync.sync();
    },
    before: (ctx, k) => restore(ctx.ws, k % 2 === 0 ? a : b),
    ours: deploy,
    git: (g) => g.publish("revert"),
    rsync: (r) => r.sync(),
  };
}

/**
 * `sync`, untimed, before every measured command: the server's syncfs would otherwise also flush what the
 * previous tool (git's objects, rsync's copy) or the scenario's edit left dirty, and bill it to caxton.
 */
function flushDirtyPages(): void {
  spawnSync("sync", { stdio: "ignore" });
}

/** Whether any file has the same size in both snapshots (or b is still empty). */
function sameSizes(a: Snapshot, b: Snapshot): boolean {
  return b.size === 0 || [...a].some(([rel, content]) => b.get(rel)?.length === content.length);
}

function cliEnv(ctx: Context): NodeJS.ProcessEnv {
  return measuredEnv({ NO_COLOR: "1", CAXTON_STATE_DIR: ctx.stateDir, CAXTON_SERVER: "" });
}

async function freshServer(ctx: Context): Promise<void> {
  await ctx.server?.stop();
  moveToTrash(ctx.dataDir, join(ctx.opts.root, "trash"));
  moveToTrash(ctx.stateDir, join(ctx.opts.root, "trash"));
  ctx.serverCount++;
  ctx.dataDir = join(ctx.opts.root, `data-${ctx.serverCount}`);
  ctx.stateDir = join(ctx.opts.root, `state-${ctx.serverCount}`);
  mkdirSync(ctx.stateDir, { recursive: true });
  ctx.server = await startServe({
    caxton: ctx.opts.caxton,
    dataDir: ctx.dataDir,
    env: cliEnv(ctx),
    quiet: true,
    onSpawn: trackChild,
  });
  ctx.probe = new PeakRssProbe(ctx.server.pid);
}

async function runCli(
  ctx: Context,
  args: string[],
): Promise<{ sample: ProcessSample; serverRssKb: number | null }> {
  if (!ctx.server || !ctx.probe) throw new Error("bench: no server");
  ctx.probe.begin();
  const sample = await measureProcess(
    process.execPath,
    [ctx.opts.caxton, ...args, "--server", ctx.server.url, "--json"],
    { env: cliEnv(ctx), scratchDir: ctx.scratchDir, timeoutMs: 900_000 },
  );
  const serverRssKb = ctx.probe.end();
  const died = ctx.server.exited();
  if (died) {
    throw new Error(
      `bench: caxton serve exited (code ${died.code}, signal ${died.signal}) during \`${sample.command}\`:\n${ctx.server.stderr().slice(-4000)}`,
    );
  }
  assertSuccess(sample);
  return { sample, serverRssKb };
}

async function deploy(ctx: Context): Promise<OursRun> {
  const { sample, serverRssKb } = await runCli(ctx, ["deploy", ctx.ws.dir]);
  const j = JSON.parse(sample.stdout) as {
    round_trips: number;
    bytes_sent: number;
    bytes_received: number;
    content_bytes_sent: number;
    up_to_date: boolean;
    files: unknown[];
    duration_ms: number;
    phases: { apply_ms: number } & Record<string, number>;
    scan: { hashed: number; cached: number; monitor?: boolean };
  };
  return {
    wallMs: sample.wallMs,
    clientRssKb: sample.peakRssKb,
    serverRssKb,
    roundTrips: j.round_trips,
    bytesSent: j.bytes_sent,
    bytesReceived: j.bytes_received,
    applyMs: j.phases.apply_ms,
    durationMs: j.duration_ms,
    phases: j.phases,
    contentBytesSent: j.content_bytes_sent,
    filesChanged: j.files.length,
    hashed: j.scan.hashed,
    cached: j.scan.cached,
    upToDate: j.up_to_date,
    monitored: j.scan.monitor ?? null,
  };
}

async function status(ctx: Context): Promise<OursRun> {
  const { sample, serverRssKb } = await runCli(ctx, ["status", ctx.ws.dir]);
  const j = JSON.parse(sample.stdout) as { in_sync: boolean };
  return {
    wallMs: sample.wallMs,
    clientRssKb: sample.peakRssKb,
    serverRssKb,
    roundTrips: 0,
    bytesSent: 0,
    bytesReceived: 0,
    applyMs: null,
    durationMs: null,
    phases: null,
    contentBytesSent: null,
    filesChanged: null,
    hashed: null,
    cached: null,
    upToDate: j.in_sync,
    monitored: null,
  };
}

/** What each run of ours must show, or the measurement means something else. */
function checkOurs(id: ScenarioId, o: OursRun, k: number): string[] {
  if (id.startsWith("monitor-") && o.monitored !== true) return [`run ${k}: the scan walked the workspace`];
  if (id === "status" || id === "no-change" || id === "monitor-no-change") {
    return o.upToDate ? [] : [`run ${k}: caxton did not report the workspace as up to date / in sync`];
  }
  if (o.upToDate || !o.filesChanged) return [`run ${k}: caxton deployed no change`];
  if (o.roundTrips !== null && id !== "first-deploy" && o.roundTrips > 1) {
    return [`run ${k}: ${o.roundTrips} round trips (the warm path should take 1)`];
  }
  return [];
}

function summarize(command: string, samples: (ProcessSample | RsyncSample)[]): ToolSummary {
  return {
    command,
    wallMs: sampleStats(samples.map((s) => s.wallMs)) as Stats,
    rssKb: sampleStats(samples.map((s) => s.peakRssKb)),
    bytesSent: sampleStats(samples.map((s) => ("bytesSent" in s ? s.bytesSent : null))),
    bytesReceived: sampleStats(samples.map((s) => ("bytesReceived" in s ? s.bytesReceived : null))),
    samples: samples.map((s) => Math.round(s.wallMs * 10) / 10),
  };
}

/** Runs every scenario that applies to this size; the server is stopped before returning. */
export async function runScenarios(opts: SizeRunOptions): Promise<ScenarioResult[]> {
  const ctx: Context = {
    opts,
    ws: opts.ws,
    server: null,
    probe: null,
    stateDir: join(opts.root, "state-0"),
    dataDir: join(opts.root, "data-0"),
    serverCount: 0,
    largePath: opts.ws.largeFile,
    scratchDir: opts.root,
    monitor: false,
  };
  const results: ScenarioResult[] = [];
  try {
    await freshServer(ctx);
    const wanted = SCENARIOS.filter((s) => !opts.only || opts.only.includes(s.id) || s.id === "first-deploy");
    for (const scenario of wanted) {
      const why = scenario.skip(opts.ws);
      if (why) {
        opts.log(`  ${scenario.label}: skipped (${why})`);
        continue;
      }
      const t0 = performance.now();
      await scenario.prepare?.(ctx);
      const runs = scenario.id === "first-deploy" ? (opts.firstDeployRuns ?? opts.runs) : opts.runs;
      // Every first-deploy run starts from scratch (fresh server, state, remotes) and the workspace was just
      // written, so it is in the page cache: a warm-up would warm nothing.
      const warmups = scenario.id === "first-deploy" ? 0 : opts.warmups;
      const ours: OursRun[] = [];
      const git: ProcessSample[] = [];
      const rsync: RsyncSample[] = [];
      const warnings: string[] = [];
      let gitCommand = "";
      let rsyncCommand = "";
      for (let k = 0; k < warmups + runs; k++) {
        await scenario.before?.(ctx, k);
        const measured = k >= warmups;
        flushDirtyPages();
        const o = await scenario.ours(ctx);
        if (measured) ours.push(o);
        warnings.push(...checkOurs(scenario.id, o, k));
        if (typeof scenario.git !== "string" && typeof opts.git !== "string") {
          flushDirtyPages();
          const g = await scenario.git(opts.git);
          gitCommand = g.command.replace(/^git /, "").replace(/&& git /g, "&& ");
          if (measured) git.push(g);
        }
        if (typeof scenario.rsync !== "string" && typeof opts.rsync !== "string") {
          flushDirtyPages();
          const r = await scenario.rsync(opts.rsync);
          rsyncCommand = r.command;
          if (measured) rsync.push(r);
          const expected = scenario.id.endsWith("no-change") ? 0 : 1;
          if (r.filesTransferred !== null && (expected === 0) !== (r.filesTransferred === 0)) {
            warnings.push(`run ${k}: rsync transferred ${r.filesTransferred} files`);
          }
        }
      }
      const command = scenario.id === "status" ? "caxton status --json" : "caxton deploy --json";
      const result: ScenarioResult = {
        id: scenario.id,
        label: scenario.label,
        runs,
        warmups,
        ours: {
          command,
          wallMs: sampleStats(ours.map((o) => o.wallMs)) as Stats,
          clientRssKb: sampleStats(ours.map((o) => o.clientRssKb)),
          serverRssKb: sampleStats(ours.map((o) => o.serverRssKb)),
          roundTrips: sampleStats(ours.map((o) => o.roundTrips)),
          bytesSent: sampleStats(ours.map((o) => o.bytesSent)),
          bytesReceived: sampleStats(ours.map((o) => o.bytesReceived)),
          applyMs: sampleStats(ours.map((o) => o.applyMs)),
          contentBytesSent: sampleStats(ours.map((o) => o.contentBytesSent)),
          raw: ours,
        },
        git:
          typeof opts.git === "string"
            ? { skipped: opts.git }
            : typeof scenario.git === "string"
              ? { skipped: scenario.git }
              : summarize(`git ${gitCommand}`, git),
        rsync:
          typeof opts.rsync === "string"
            ? { skipped: opts.rsync }
            : typeof scenario.rsync === "string"
              ? { skipped: scenario.rsync }
              : summarize(rsyncCommand.replace(/ \S+\/ rsync:/, " WS/ rsync:"), rsync),
        warnings,
      };
      results.push(result);
      for (const w of warnings) opts.log(`  warning: ${scenario.label}: ${w}`);
      const cmp = (c: Comparison, name: string): string =>
        "skipped" in c ? "" : `, ${name} ${c.wallMs.median.toFixed(0)} ms`;
      opts.log(
        `  ${scenario.label}: ${result.ours.wallMs.median.toFixed(0)} ms` +
          `${cmp(result.git, "git")}${cmp(result.rsync, "rsync")}` +
          ` (${runs} runs, ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
      );
    }
  } finally {
    await ctx.server?.stop();
    if (ctx.monitor) {
      await measureProcess(process.execPath, [opts.caxton, "monitor", "stop", opts.ws.dir], {
        env: cliEnv(ctx),
        scratchDir: ctx.scratchDir,
        timeoutMs: 60_000,
      });
    }
  }
  return results;
}
