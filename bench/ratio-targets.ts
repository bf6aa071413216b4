/**
 * The proportional-cost targets: our median over the peer's, both measured in the same run on the same
 * change (git add+commit+push to a git daemon, rsync to an rsync daemon), per size and shape; and the
 * server's apply time of a one-agent change at XL over M. A target whose scenario or peer was not measured
 * in this run says so instead of met / not met.
 */
import type { SizeName } from "./generate-workspace.js";
import type { ScenarioId, ScenarioResult } from "./run-scenarios.js";
import type { SizeResult } from "./report.js";

interface PeerRatio {
  kind: "peer";
  label: string;
  size: SizeName;
  scenario: ScenarioId;
  peer: "git" | "rsync";
  maxRatio: number;
  /** and under this wall time */
  maxMs?: number;
}

interface ApplyRatio {
  kind: "apply";
  label: string;
  scenario: ScenarioId;
  over: SizeName;
  under: SizeName;
  maxRatio: number;
}

export type RatioTarget = PeerRatio | ApplyRatio;

const oneAgent = (size: SizeName, maxRatio: number, extra: Partial<PeerRatio> = {}): PeerRatio[] =>
  (["one-agent", "monitor-one-agent"] as const).map((scenario) => ({
    kind: "peer",
    label: `one agent${scenario === "one-agent" ? "" : " (monitor)"}, ${size}, vs git commit+push`,
    size,
    scenario,
    peer: "git",
    maxRatio,
    ...extra,
  }));

const noChange = (size: SizeName): PeerRatio[] =>
  (["no-change", "monitor-no-change"] as const).map((scenario) => ({
    kind: "peer",
    label: `no change${scenario === "no-change" ? "" : " (monitor)"}, ${size}, vs rsync daemon`,
    size,
    scenario,
    peer: "rsync",
    maxRatio: 1,
  }));

const firstDeploy = (size: SizeName): PeerRatio => ({
  kind: "peer",
  label: `first deploy, ${size}, vs rsync daemon`,
  size,
  scenario: "first-deploy",
  peer: "rsync",
  maxRatio: 0.8,
});

export const RATIO_TARGETS: readonly RatioTarget[] = [
  ...oneAgent("M", 1.2),
  ...oneAgent("L", 1.5),
  ...oneAgent("LA", 1.5),
  ...oneAgent("XL", 2, { maxMs: 1000 }),
  {
    kind: "apply",
    label: "server apply, one agent, XL vs M",
    scenario: "one-agent",
    over: "XL",
    under: "M",
    maxRatio: 2,
  },
  ...noChange("L"),
  ...noChange("LA"),
  ...noChange("XL"),
  firstDeploy("L"),
  firstDeploy("LA"),
];

export interface RatioResult {
  label: string;
  target: string;
  /** "1.23× (456 ms / 370 ms)", or why not measured */
  measured: string;
  ratio: number | null;
  met: boolean | null;
}

export function evaluateRatios(sizes: readonly SizeResult[]): RatioResult[] {
  const find = (size: SizeName, id: ScenarioId): ScenarioResult | undefined =>
    sizes.find((s) => s.size.name === size)?.scenarios.find((r) => r.id === id);
  return RATIO_TARGETS.map((t) => {
    const target = `≤ ${t.maxRatio}×${t.kind === "peer" && t.maxMs ? `, under ${t.maxMs} ms` : ""}`;
    const none = (why: string): RatioResult => ({
      label: t.label,
      target,
      measured: why,
      ratio: null,
      met: null,
    });
    if (t.kind === "apply") {
      const a = find(t.over, t.scenario)?.ours.applyMs?.median;
      const b = find(t.under, t.scenario)?.ours.applyMs?.median;
      if (a === undefined || b === undefined || b === 0) return none("not measured");
      const ratio = a / b;
      return {
        label: t.label,
        target,
        measured: `${fmt(ratio)} (${a} ms / ${b} ms)`,
        ratio,
        met: ratio <= t.maxRatio,
      };
    }
    const r = find(t.size, t.scenario);
    if (!r) return none("not measured");
    const peer = r[t.peer];
    if ("skipped" in peer) return none(`${t.peer}: ${peer.skipped}`);
    const ours = r.ours.wallMs.median;
    const ratio = ours / peer.wallMs.median;
    const met = ratio <= t.maxRatio && (t.maxMs === undefined || ours < t.maxMs);
    return {
      label: t.label,
      target,
      measured: `${fmt(ratio)} (${Math.round(ours)} ms / ${Math.round(peer.wallMs.median)} ms)`,
      ratio,
      met,
    };
  });
}

export function renderRatios(results: readonly RatioResult[]): string {
  const lines = [
    "| scenario | target | ours / peer (medians, this run) | met? |",
    "| --- | --- | --- | --- |",
  ];
  for (const r of results) {
    const met = r.met === null ? "not measured" : r.met ? "met" : "**not met**";
    lines.push(`| ${r.label} | ${r.target} | ${r.measured} | ${met} |`);
  }
  return lines.join("\n");
}

function fmt(ratio: number): string {
  return `${ratio.toFixed(2)}×`;
}
