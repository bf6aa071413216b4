/**
 * `npm run bench [-- options]`: the deploy benchmark. Generates deterministic workspaces, runs every scenario
 * against the real `caxton` processes (and git / rsync side by side where installed), prints a markdown
 * table and writes bench/results/<timestamp>.json. See bench/README.md.
 */
import { evaluateRatios } from "./ratio-targets.js";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, release, tmpdir, totalmem, type } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { killTrackedChildren } from "./child-processes.js";
import { CpuContention } from "./cpu-contention.js";
import { GitComparison, gitVersion } from "./compare-git.js";
import { RsyncComparison, rsyncVersion } from "./compare-rsync.js";
import { DEFAULT_SEED, generateWorkspace, SIZES, type SizeName } from "./generate-workspace.js";
import { clientRssMethod, measureProcess } from "./measure-process.js";
import { measuredEnv } from "./measured-env.js";
import { sampleStats } from "./sample-stats.js";
import { profileScenarios } from "./profile-cli.js";
import { evaluateTargets, renderReport, writeResults, type BenchResults, type SizeResult } from "./report.js";
import { snapshotBuild } from "./snapshot-build.js";
import { runScenarios, SCENARIOS, type ScenarioId, type ScenarioResult } from "./run-scenarios.js";
import { formatWireTable, runWireBench } from "./wire-bytes.js";
import { formatValidationTable, runValidationScaling } from "./validation-scaling.js";
import { formatWatchTable, runWatchLatency } from "./watch-latency.js";

const REPO = resolve(fileURLToPath(import.meta.url), "../../..");

const USAGE = `usage: npm run bench -- [--quick] [--sizes S,M,L,LA,XL] [--only SCENARIO,...] [--runs N] [--xl-runs N]
                       [--warmups N] [--no-compare] [--seed N] [--results DIR] [--profile]
                       [--watch-sizes M,XL|none] [--watch-edits N]

  --quick       S and M, 3 runs after 1 warm-up (under a minute)
  --sizes       which workspace sizes (default: all five; LA is L's file count, agent-heavy)
  --only        scenarios: ${SCENARIOS.map((s) => s.id).join(", ")} (the first deploy always runs)
  --runs N      measured runs per scenario (default 5; --quick 3)
  --xl-runs N   measured runs per scenario for XL (default 3, first deploy 2, no warm-up: to keep the
                full run well under 15 minutes)
  --warmups N   unrecorded runs before the measured ones (default 1; XL 0)
  --no-compare  skip git and rsync
  --profile     instead of the table: run the CLI scenarios (sizes M, L, XL unless --sizes) under node
                --cpu-prof and summarise the top self-time functions, client and server
                (profiles kept in bench/results/profile-<timestamp>/)
  --watch-sizes edit-to-live latency of \`deploy --watch\` at these sizes (default M,XL; --quick M;
                none to skip; runs with --only only when given)
  --watch-edits N  edits measured per size (default 50, --quick 20; XL at most 15)
`;

function parse() {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean" },
      sizes: { type: "string" },
      only: { type: "string" },
      runs: { type: "string" },
      "xl-runs": { type: "string" },
      warmups: { type: "string" },
      "no-compare": { type: "boolean" },
      seed: { type: "string" },
      results: { type: "string" },
      profile: { type: "boolean" },
      "watch-sizes": { type: "string" },
      "watch-edits": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  const int = (v: string | undefined, fallback: number, min: number): number => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`bench: expected an integer >= ${min}, got ${v}`);
    return n;
  };
  const quick = values.quick ?? false;
  const sizes = (values.sizes ?? (values.profile ? "M,L,XL" : quick ? "S,M" : "S,M,L,LA,XL"))
    .split(",")
    .map((s) => s.trim().toUpperCase());
  for (const s of sizes) if (!(s in SIZES)) throw new Error(`bench: unknown size ${s} (S, M, L, LA, XL)`);
  const only = values.only?.split(",").map((s) => s.trim()) as ScenarioId[] | undefined;
  for (const id of only ?? []) {
    if (!SCENARIOS.some((s) => s.id === id)) throw new Error(`bench: unknown scenario ${id}`);
  }
  const runs = int(values.runs, quick ? 3 : 5, 1);
  const watchRaw = values["watch-sizes"] ?? (values.only ? "none" : quick ? "M" : "M,XL");
  const watchSizes = watchRaw === "none" ? [] : watchRaw.split(",").map((s) => s.trim().toUpperCase());
  for (const s of watchSizes) if (!(s in SIZES)) throw new Error(`bench: unknown size ${s} (S, M, L, XL)`);
  return {
    watchSizes: watchSizes as SizeName[],
    watchEdits: int(values["watch-edits"], quick ? 20 : 50, 1),
    help: values.help ?? false,
    quick,
    custom: values.sizes !== undefined || values.only !== undefined || values.runs !== undefined,
    sizes: sizes as SizeName[],
    only,
    runs,
    xlRuns: int(values["xl-runs"], Math.min(runs, 3), 1),
    warmups: int(values.warmups, 1, 0),
    // XL's runs take seconds each and follow one another on a warm page cache: no warm-up unless asked
    xlWarmups: int(values.warmups, 0, 0),
    compare: !(values["no-compare"] ?? false),
    seed: int(values.seed, DEFAULT_SEED, 0),
    resultsDir: resolve(values.results ?? join(REPO, "bench", "results")),
    profile: values.profile ?? false,
  };
}

function sourceRevision(): BenchResults["revision"] {
  const git = (args: string[]): string | null => {
    const r = spawnSync("git", args, { cwd: REPO, encoding: "utf8" });
    return r.status === 0 ? r.stdout : null;
  };
  const porcelain = git(["status", "--porcelain", "--", "src"]);
  return {
    commit: git(["rev-parse", "HEAD"])?.trim() ?? null,
    uncommittedSrcFiles: porcelain === null ? null : porcelain.split("\n").filter(Boolean).length,
  };
}

async function main(): Promise<void> {
  const opts = parse();
  if (opts.help) {
    process.stdout.write(USAGE);
    return;
  }
  const root = mkdtempSync(join(tmpdir(), "caxton-bench-"));
  const revision = sourceRevision();
  const build = snapshotBuild(REPO);
  const CAXTON = build.caxton;
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const onSignal = (signal: NodeJS.Signals): void => {
    killTrackedChildren();
    rmSync(root, { recursive: true, force: true });
    build.remove();
    process.stderr.write(`bench: ${signal}, stopped and cleaned up\n`);
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    if (opts.profile) {
      await profileScenarios({
        caxton: CAXTON,
        root,
        sizes: opts.sizes,
        seed: opts.seed,
        resultsDir: opts.resultsDir,
        log,
      });
      return;
    }
    const startedAt = new Date().toISOString();
    const t0 = performance.now();
    const results: BenchResults = {
      startedAt,
      finishedAt: "",
      revision,
      mode: opts.quick ? "quick" : opts.custom ? "custom" : "full",
      seed: opts.seed,
      runs: {},
      machine: {
        cores: cpus().length,
        cpu: cpus()[0]?.model.trim() ?? "unknown",
        memoryGiB: Math.round(totalmem() / 1024 ** 3),
        node: process.version,
        os: `${type()} ${release()}`,
        git: gitVersion(),
        rsync: rsyncVersion(),
        clientRss: clientRssMethod(root),
        serverRss: "VmHWM reset via /proc/<pid>/clear_refs, else VmRSS polled every 5 ms",
        nodeStartMs: await nodeStartMs(root),
        loadAverage: { start: loadavg()[0] ?? 0, end: 0 },
      },
      notes: [],
      sizes: [],
      targets: [],
    };
    if (results.machine.loadAverage.start > 0.5) {
      log(
        `bench: load average ${results.machine.loadAverage.start.toFixed(2)}: other work is running, figures will be noisy`,
      );
    }
    if (!results.machine.git) results.notes.push("git not installed: no git comparison.");
    if (!results.machine.rsync)
      results.notes.push("rsync not installed: no rsync comparison (`apt-get install rsync`).");
    if (!opts.compare) results.notes.push("--no-compare: git and rsync were not run.");
    for (const name of opts.sizes) {
      const size = SIZES[name];
      const runs = name === "XL" ? opts.xlRuns : opts.runs;
      results.runs[name] = runs;
      const warmups = name === "XL" ? opts.xlWarmups : opts.warmups;
      if (name === "XL" && (runs < opts.runs || warmups < opts.warmups)) {
        results.notes.push(
          `XL: ${runs} measured runs per scenario after ${warmups} warm-up(s) (the first deploy: ${Math.min(runs, 2)} runs), not ${opts.runs} after ${opts.warmups}, to keep the full run well under 15 minutes.`,
        );
      }
      const contention = new CpuContention();
      const dir = join(root, name);
      log(`${name}: generating ${size.summary}`);
      const g0 = performance.now();
      const ws = generateWorkspace(join(dir, "ws"), size, opts.seed);
      const generateMs = performance.now() - g0;
      log(
        `${name}: ${ws.files} files, ${(ws.bytes / 1e6).toFixed(1)} MB in ${(generateMs / 1000).toFixed(1)} s`,
      );
      const git = opts.compare
        ? await GitComparison.start({ root: join(dir, "git"), workTree: ws.dir, scratchDir: dir })
        : "not run (--no-compare)";
      const rsync = opts.compare
        ? await RsyncComparison.start({ root: join(dir, "rsync"), source: ws.dir, scratchDir: dir })
        : "not run (--no-compare)";
      let scenarios: ScenarioResult[];
      try {
        try {
          scenarios = await runScenarios({
            caxton: CAXTON,
            root: dir,
            ws,
            runs,
            // XL's first deploy creates 100,000 files three times per run (server, git, rsync): 2 runs
            ...(name === "XL" ? { firstDeployRuns: Math.min(runs, 2) } : {}),
            warmups,
            git,
            rsync,
            ...(opts.only ? { only: opts.only } : {}),
            log,
          });
        } finally {
          // stopped (and so waited for) before the CPU accounting: their children's CPU time is ours
          if (typeof git !== "string") await git.stop();
          if (typeof rsync !== "string") await rsync.stop();
        }
        const sizeResult: SizeResult = {
          size,
          files: ws.files,
          bytes: ws.bytes,
          generateMs,
          contention: contention.stop(),
          scenarios,
        };
        const other = sizeResult.contention?.otherCores ?? 0;
        if (other > 0.2) {
          results.notes.push(
            `${name}: other processes and kernel threads (disk writeback included) kept ${other.toFixed(2)} of ${results.machine.cores} cores busy during this size: its figures are noisier than on an idle machine.`,
          );
        }
        results.sizes.push(sizeResult);
      } finally {
        rmSync(dir, { recursive: true, force: true });
        spawnSync("sync", { stdio: "ignore" }); // let the deletes settle before the next size is written
      }
    }
    // further figures: bytes on the wire beside xdelta3/zstd, and validation cost vs workspace size
    const wire = opts.only ? [] : await runWireBench({ quick: opts.quick, log });
    const validation = opts.only ? [] : await runValidationScaling({ runs: opts.quick ? 1 : 5, log });
    const watchLatency = await runWatchLatency({
      caxton: CAXTON,
      root,
      sizes: opts.watchSizes,
      edits: (size) => (size === "XL" ? Math.min(opts.watchEdits, 15) : opts.watchEdits),
      seed: opts.seed,
      log,
    });
    Object.assign(results, { wire, validationScaling: validation, watchLatency });
    results.finishedAt = new Date().toISOString();
    results.machine.loadAverage.end = loadavg()[0] ?? 0;
    results.targets = evaluateTargets(results.sizes);
    results.ratios = evaluateRatios(results.sizes);
    results.notes.push(`Total bench time ${((performance.now() - t0) / 1000).toFixed(0)} s.`);
    process.stdout.write(`${renderReport(results)}\n`);
    if (wire.length > 0) process.stdout.write(`\n## Bytes on the wire\n\n${formatWireTable(wire)}\n`);
    if (validation.length > 0) {
      process.stdout.write(`\n## Validation of a one-agent change\n\n${formatValidationTable(validation)}\n`);
    }
    if (watchLatency.length > 0) {
      process.stdout.write(`\n## Edit-to-live with deploy --watch\n\n${formatWatchTable(watchLatency)}\n`);
    }
    const file = writeResults(opts.resultsDir, results);
    log(`results: ${file}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
    build.remove();
  }
}

main().catch((err: unknown) => {
  killTrackedChildren();
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});

/** `node -e 0` ten times in the measured environment: what any Node CLI pays before its first line runs. */
async function nodeStartMs(scratchDir: string): Promise<number | null> {
  const walls: number[] = [];
  for (let i = 0; i < 10; i++) {
    const r = await measureProcess(process.execPath, ["-e", "0"], { env: measuredEnv({}), scratchDir });
    if (r.code === 0) walls.push(r.wallMs);
  }
  return sampleStats(walls)?.median ?? null;
}
