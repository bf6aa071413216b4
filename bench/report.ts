/**
 * The bench's output: markdown tables (per size, every scenario side by side with git and rsync, and the
 * issue's targets with met / not met from the measured medians) and the JSON results file.
 */
import { renderRatios, type RatioResult } from "./ratio-targets.js";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Contention } from "./cpu-contention.js";
import type { SizeName, SizeSpec } from "./generate-workspace.js";
import type { Comparison, ScenarioId, ScenarioResult } from "./run-scenarios.js";
import type { Stats } from "./sample-stats.js";

export interface Machine {
  cores: number;
  cpu: string;
  memoryGiB: number;
  node: string;
  os: string;
  git: string | null;
  rsync: string | null;
  clientRss: string;
  serverRss: string;
  /** median wall time of `node -e 0` in the environment the measured processes get: the floor under any CLI in Node */
  nodeStartMs: number | null;
  /** 1-minute load average before the bench (other work, which skews the figures) and at its end (its own load included) */
  loadAverage: { start: number; end: number };
}

export interface SizeResult {
  size: SizeSpec;
  files: number;
  bytes: number;
  generateMs: number;
  /** CPU used by other processes on the machine while this size ran (null off Linux) */
  contention: Contention | null;
  scenarios: ScenarioResult[];
}

export interface BenchResults {
  startedAt: string;
  /**
   * what was measured: HEAD and how many files under src/ differ from it when the bench started and copied
   * the build (bin/ and dist/ as built then: work in progress is measured too)
   */
  revision: { commit: string | null; uncommittedSrcFiles: number | null };
  finishedAt: string;
  mode: "quick" | "full" | "custom";
  seed: number;
  runs: Record<string, number>;
  machine: Machine;
  notes: string[];
  sizes: SizeResult[];
  targets: TargetResult[];
  /** the proportional-cost targets (ratio-targets.ts) */
  ratios?: RatioResult[];
}

export interface Target {
  size: SizeName;
  scenario: ScenarioId;
  label: string;
  adr: string;
  /** what the issue measured for git / rsync, and which of our comparisons re-measures it */
  reference: string;
  referenceTool: { tool: "git" | "rsync"; scenario: ScenarioId; label: string }[];
  maxMs: number;
  /** the CLI's peak RSS (the targets are about the CLI process; the server's is shown beside it) */
  maxRssMb?: number;
}

export const TARGETS: readonly Target[] = [
  {
    size: "M",
    scenario: "no-change",
    label: "no change, M",
    adr: "< 100 ms",
    reference: "rsync daemon ≈ 104 ms",
    referenceTool: [{ tool: "rsync", scenario: "no-change", label: "rsync" }],
    maxMs: 80,
  },
  {
    size: "L",
    scenario: "no-change",
    label: "no change, L",
    adr: "< 100 ms",
    reference: "rsync daemon ≈ 180 ms, `git status` ≈ 37 ms",
    referenceTool: [
      { tool: "rsync", scenario: "no-change", label: "rsync" },
      { tool: "git", scenario: "status", label: "git status" },
    ],
    maxMs: 150,
  },
  {
    size: "M",
    scenario: "one-agent",
    label: "one agent changed, M",
    adr: "500 ms",
    reference: "`git push` to a git daemon ≈ 72 ms",
    referenceTool: [{ tool: "git", scenario: "one-agent", label: "git add+commit+push" }],
    maxMs: 100,
  },
  {
    size: "M",
    scenario: "fifty-agents",
    label: "50 agents changed, M",
    adr: "< 5 s",
    reference: "—",
    referenceTool: [],
    maxMs: 300,
  },
  {
    size: "L",
    scenario: "first-deploy",
    label: "first deploy, L (54 MB)",
    adr: "—",
    reference: "rsync daemon ≈ 5.4 s",
    referenceTool: [{ tool: "rsync", scenario: "first-deploy", label: "rsync" }],
    maxMs: 2500,
  },
  {
    size: "XL",
    scenario: "no-change",
    label: "no change, XL",
    adr: "—",
    reference: "node walk+stat alone ≈ 0.8 s",
    referenceTool: [{ tool: "rsync", scenario: "no-change", label: "rsync" }],
    maxMs: 1200,
    maxRssMb: 250,
  },
];

export interface TargetResult {
  label: string;
  targetMs: number;
  targetRssMb: number | null;
  measuredMs: number | null;
  clientRssMb: number | null;
  serverRssMb: number | null;
  referenceHere: string;
  met: boolean | null;
}

export function evaluateTargets(sizes: readonly SizeResult[]): TargetResult[] {
  const find = (size: SizeName, id: ScenarioId): ScenarioResult | undefined =>
    sizes.find((s) => s.size.name === size)?.scenarios.find((r) => r.id === id);
  return TARGETS.map((t) => {
    const r = find(t.size, t.scenario);
    const refs = t.referenceTool
      .map((ref) => {
        const c = find(t.size, ref.scenario)?.[ref.tool];
        return c && !("skipped" in c) ? `${ref.label} ${ms(c.wallMs.median)}` : null;
      })
      .filter((x): x is string => x !== null);
    const measuredMs = r ? r.ours.wallMs.median : null;
    const clientRssMb = r?.ours.clientRssKb ? r.ours.clientRssKb.median / 1024 : null;
    const serverRssMb = r?.ours.serverRssKb ? r.ours.serverRssKb.median / 1024 : null;
    const timeMet = measuredMs === null ? null : measuredMs <= t.maxMs;
    const rssMet = t.maxRssMb === undefined ? true : clientRssMb === null ? null : clientRssMb <= t.maxRssMb;
    return {
      label: t.label,
      targetMs: t.maxMs,
      targetRssMb: t.maxRssMb ?? null,
      measuredMs,
      clientRssMb,
      serverRssMb,
      referenceHere: refs.join(", ") || "—",
      met: timeMet === null || rssMet === null ? null : timeMet && rssMet,
    };
  });
}

function ms(v: number): string {
  if (v >= 10_000) return `${(v / 1000).toFixed(1)} s`;
  if (v >= 1_000) return `${(v / 1000).toFixed(2)} s`;
  return `${v.toFixed(0)} ms`;
}

function bytes(v: number): string {
  if (v >= 1024 * 1024) return `${(v / 1024 / 1024).toFixed(1)} MiB`;
  if (v >= 10 * 1024) return `${(v / 1024).toFixed(0)} KiB`;
  if (v >= 1024) return `${(v / 1024).toFixed(1)} KiB`;
  return `${Math.round(v)} B`;
}

function mb(kb: Stats | null): string {
  return kb ? `${(kb.median / 1024).toFixed(0)} MB` : "—";
}

function spread(s: Stats): string {
  return `${ms(s.median)} (${ms(s.min)}–${ms(s.max)})`;
}

function comparison(ours: number, c: Comparison): [string, string] {
  if ("skipped" in c) return [`— ${c.skipped}`, "—"];
  const ratio = ours / c.wallMs.median;
  return [spread(c.wallMs), `${ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(2)}×`];
}

export function renderSizeTable(s: SizeResult): string {
  const lines = [
    `### ${s.size.name} — ${s.files.toLocaleString("en-US")} files, ${bytes(s.bytes)} (${s.size.summary})`,
    "",
    ...(s.contention
      ? [
          `${(s.contention.seconds / 60).toFixed(1)} min; other processes and kernel threads used ${s.contention.otherCores.toFixed(2)} cores on average meanwhile (the bench and the processes it started: ${s.contention.benchCores.toFixed(2)}).`,
          "",
        ]
      : []),
    "| scenario | caxton median (min–max) | round trips | sent / received | content sent | apply | client RSS | server RSS | git | ours / git | rsync | ours / rsync |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of s.scenarios) {
    const o = r.ours;
    const [git, gitRatio] = comparison(o.wallMs.median, r.git);
    const [rsync, rsyncRatio] = comparison(o.wallMs.median, r.rsync);
    const wire =
      o.bytesSent && o.bytesReceived
        ? `${bytes(o.bytesSent.median)} / ${bytes(o.bytesReceived.median)}`
        : "—";
    lines.push(
      `| ${r.label} | ${spread(o.wallMs)} | ${o.roundTrips?.median ?? "—"} | ${wire} | ` +
        `${o.contentBytesSent ? bytes(o.contentBytesSent.median) : "—"} | ` +
        `${o.applyMs ? ms(o.applyMs.median) : "—"} | ${mb(o.clientRssKb)} | ${mb(o.serverRssKb)} | ` +
        `${git} | ${gitRatio} | ${rsync} | ${rsyncRatio} |`,
    );
  }
  return lines.join("\n");
}

export function renderTargets(targets: readonly TargetResult[]): string {
  const lines = [
    "| scenario | ADR-0044 | reference (issue) | reference measured in this run | target | caxton median | met? |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const [i, t] of targets.entries()) {
    const def = TARGETS[i] as Target;
    const target = `≤ ${ms(t.targetMs)}${t.targetRssMb ? `, RSS ≤ ${t.targetRssMb} MB` : ""}`;
    let measured = t.measuredMs === null ? "not measured" : ms(t.measuredMs);
    if (t.targetRssMb && t.clientRssMb !== null) {
      measured += `, RSS client ${t.clientRssMb.toFixed(0)} MB / server ${t.serverRssMb?.toFixed(0) ?? "?"} MB`;
    }
    let met = "not measured";
    if (t.met === true) met = "met";
    if (t.met === false && t.measuredMs !== null) {
      const over = t.measuredMs - t.targetMs;
      met =
        over > 0
          ? `**not met**: +${ms(over)} (${(t.measuredMs / t.targetMs).toFixed(2)}× the target)`
          : "**not met** (memory)";
    }
    lines.push(
      `| ${t.label} | ${def.adr} | ${def.reference} | ${t.referenceHere} | ${target} | ${measured} | ${met} |`,
    );
  }
  return lines.join("\n");
}

export function renderReport(results: BenchResults): string {
  const m = results.machine;
  const out = [
    `## Caxton deploy benchmark (${results.mode}), ${results.startedAt}`,
    "",
    `Measured: commit ${results.revision.commit?.slice(0, 10) ?? "unknown"}` +
      `${results.revision.uncommittedSrcFiles ? ` plus ${results.revision.uncommittedSrcFiles} uncommitted file(s) under src/` : ""}. ` +
      `${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}, ${m.os}; ` +
      `${m.git ?? "git not installed"}; ${m.rsync ?? "rsync not installed"}. ` +
      `Runs per scenario: ${Object.entries(results.runs)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}. Client RSS: ${m.clientRss}; server RSS: ${m.serverRss}. ` +
      `Load average (1 min) ${m.loadAverage.start.toFixed(2)} at the start, ${m.loadAverage.end.toFixed(2)} at the end. ` +
      `Node's own start-up (\`node -e 0\`, median of 10, same environment): ${m.nodeStartMs === null ? "not measured" : `${Math.round(m.nodeStartMs)} ms`}.`,
    "",
    "Wall time is the whole CLI process (spawn to exit, Node start-up included). git = `git add -A && git commit && git push` " +
      "to a git daemon on 127.0.0.1 (no change: `add -A && push`; status: `git status --porcelain`); " +
      "rsync = `rsync -a WS/ rsync://127.0.0.1/…` to an rsync daemon. Ratios: our median / theirs, same run, same change.",
    "",
  ];
  for (const n of results.notes) out.push(`- ${n}`);
  if (results.notes.length > 0) out.push("");
  for (const s of results.sizes) {
    out.push(renderSizeTable(s), "");
    const warnings = s.scenarios.flatMap((r) => r.warnings.map((w) => `- ${s.size.name}, ${r.label}: ${w}`));
    if (warnings.length > 0) out.push("Warnings:", "", ...warnings, "");
  }
  out.push("### Targets", "", renderTargets(results.targets), "");
  if (results.ratios) out.push("### Proportional-cost targets", "", renderRatios(results.ratios), "");
  return out.join("\n");
}

/** Writes bench/results/<timestamp>.json and returns its path. */
export function writeResults(dir: string, results: BenchResults): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${results.startedAt.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}
