/**
 * Reads a V8 .cpuprofile (from `node --cpu-prof`) and says where the time went: self time and inclusive
 * time per function, and self time per source file and per category (our src/ files, each dependency,
 * Node's module loader, other Node internals, GC). Positions in dist/*.js are mapped back to src/*.ts
 * through the compiler's source maps. A time window (CLOCK_MONOTONIC microseconds, the clock V8 stamps
 * samples with, = process.hrtime) restricts the summary to part of a long profile (the server's, per request).
 */
import { existsSync, readFileSync } from "node:fs";
import { SourceMap, type SourceMapPayload } from "node:module";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Row {
  name: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  /** sampled time in the window, idle excluded */
  busyMs: number;
  idleMs: number;
  /** gaps between samples beyond MAX_SAMPLE_US: the process was off the CPU (descheduled, page faults) */
  stalledMs: number;
  selfByFunction: Row[];
  inclusiveByFunction: Row[];
  /** each sample billed to the innermost src/ function on its stack (what of our code caused the work) */
  byResponsibleFunction: Row[];
  byResponsibleFile: Row[];
  selfByCategory: Row[];
}

/**
 * A sample stands for the time until the next one, but a gap much longer than the sampling interval means
 * the thread was not running (on 2 busy cores the client is sometimes descheduled for tens of ms): billing
 * that gap to whatever function happened to be on the stack would invent hot spots, so each sample counts
 * for at most this much and the rest is reported as stalled.
 */
const MAX_SAMPLE_US = 2_000;

const maps = new Map<string, SourceMap | null>();

function sourceMapFor(file: string): SourceMap | null {
  if (!maps.has(file)) {
    let map: SourceMap | null = null;
    try {
      if (existsSync(`${file}.map`))
        map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, "utf8")) as SourceMapPayload);
    } catch {
      map = null;
    }
    maps.set(file, map);
  }
  return maps.get(file) ?? null;
}

/** "src/workspace/scan-workspace.ts:93", "node_modules/smol-toml/…", "node:internal/…", or "" (native). */
function location(frame: CallFrame, repo: string): { file: string; where: string } {
  const { url } = frame;
  if (!url) return { file: "", where: "" };
  if (!url.startsWith("file://")) return { file: url, where: `${url}:${frame.lineNumber + 1}` };
  const abs = fileURLToPath(url);
  const rel = relative(repo, abs);
  // node_modules resolves above the bench's build snapshot (bench/results/.build-<pid>/): name it by package
  const nm = abs.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const dep = abs.slice(nm + 1);
    return { file: dep, where: `${dep}:${frame.lineNumber + 1}` };
  }
  const map = sourceMapFor(abs);
  const entry = map?.findEntry(frame.lineNumber, frame.columnNumber) as
    { originalSource?: string; originalLine?: number } | undefined;
  if (entry?.originalSource && entry.originalLine !== undefined) {
    const src = entry.originalSource.startsWith("file://")
      ? fileURLToPath(entry.originalSource)
      : entry.originalSource;
    const original = relative(repo, src.startsWith("/") ? src : `${abs}/../${src}`);
    return { file: original, where: `${original}:${entry.originalLine + 1}` };
  }
  return { file: rel, where: `${rel}:${frame.lineNumber + 1}` };
}

function category(file: string, fn: string): string {
  if (!file) {
    if (fn === "(garbage collector)") return "GC";
    if (fn === "(program)") return "(program): V8/native not attributed to JS";
    return `native: ${fn || "(anonymous)"}`;
  }
  if (file.startsWith("node:internal/modules")) return "Node module loader (import/compile)";
  if (file.startsWith("node:")) return "Node internals (fs, net, streams, …)";
  const dep = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (dep?.[1]) return `dependency: ${dep[1]}`;
  const ours = /^(src|bench|scripts)\/([^/]+)\//.exec(file);
  if (ours) return `${ours[1]}/${ours[2]}/`;
  return file;
}

export function readCpuProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
}

/** Summarises samples in [fromUs, toUs] (the whole profile by default). */
export function summarizeCpuProfile(
  profile: CpuProfile,
  repo: string,
  window: { fromUs: number; toUs: number } | null = null,
  top = 12,
): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  /** walking from the leaf: the first src/ frame, or the module loader, or none of ours */
  const blameCache = new Map<number, { fn: string; file: string }>();
  const responsible = (leaf: number): { fn: string; file: string } => {
    let b = blameCache.get(leaf);
    if (b) return b;
    b = { fn: "(no src/ frame: Node start-up, event loop, GC)", file: "(no src/ frame)" };
    for (let n: number | undefined = leaf; n !== undefined; n = parent.get(n)) {
      const k = keyOf(n);
      if (k.file.startsWith("src/")) {
        b = { fn: k.key, file: k.file };
        break;
      }
      if (k.file.startsWith("node:internal/modules/")) {
        b = { fn: "(module loader: resolve, read, compile)", file: "(module loader)" };
        break;
      }
    }
    blameCache.set(leaf, b);
    return b;
  };
  const keyCache = new Map<number, { key: string; file: string; fn: string }>();
  const keyOf = (id: number): { key: string; file: string; fn: string } => {
    let k = keyCache.get(id);
    if (!k) {
      const frame = (byId.get(id) as ProfileNode).callFrame;
      const loc = location(frame, repo);
      const fn = frame.functionName || "(anonymous)";
      k = { key: loc.where ? `${fn} (${loc.where})` : fn, file: loc.file, fn: frame.functionName };
      keyCache.set(id, k);
    }
    return k;
  };
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const responsibleFn = new Map<string, number>();
  const responsibleFile = new Map<string, number>();
  const categories = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, us: number): void => void m.set(k, (m.get(k) ?? 0) + us);
  let busy = 0;
  let idle = 0;
  let stalled = 0;
  let t = profile.startTime;
  const times: number[] = [];
  for (const d of profile.timeDeltas) times.push((t += d));
  for (let i = 0; i < profile.samples.length; i++) {
    const at = times[i] as number;
    if (window && (at < window.fromUs || at > window.toUs)) continue;
    const gap = (times[i + 1] ?? profile.endTime) - at;
    const us = Math.min(gap, MAX_SAMPLE_US);
    stalled += gap - us;
    const id = profile.samples[i] as number;
    const k = keyOf(id);
    if (k.fn === "(idle)") {
      idle += us;
      continue;
    }
    busy += us;
    add(self, k.key, us);
    const blame = responsible(id);
    add(responsibleFn, blame.fn, us);
    add(responsibleFile, blame.file, us);
    add(categories, category(k.file, k.fn), us);
    const seen = new Set<string>();
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const kk = keyOf(n).key;
      if (kk === "(root)" || seen.has(kk)) continue;
      seen.add(kk);
      add(inclusive, kk, us);
    }
  }
  const rows = (m: Map<string, number>, n: number): Row[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: us / 1000, share: busy > 0 ? us / busy : 0 }));
  return {
    busyMs: busy / 1000,
    idleMs: idle / 1000,
    stalledMs: stalled / 1000,
    selfByFunction: rows(self, top),
    // inclusive: our own functions only (src/), the question being "which of our code paths cost most"
    inclusiveByFunction: rows(new Map([...inclusive].filter(([k]) => k.includes("(src/"))), top),
    byResponsibleFunction: rows(responsibleFn, top),
    byResponsibleFile: rows(responsibleFile, top),
    selfByCategory: rows(categories, top),
  };
}

export function renderProfileSummary(title: string, s: ProfileSummary): string {
  const table = (head: string, rows: Row[]): string[] => [
    `| ${head} | ms | share |`,
    "| --- | ---: | ---: |",
    ...rows.map(
      (r) => `| \`${r.name.replace(/\|/g, "\\|")}\` | ${r.ms.toFixed(1)} | ${(r.share * 100).toFixed(1)}% |`,
    ),
    "",
  ];
  return [
    `#### ${title}`,
    "",
    `Sampled busy time ${s.busyMs.toFixed(0)} ms (idle ${s.idleMs.toFixed(0)} ms, off the CPU between samples ${s.stalledMs.toFixed(0)} ms).`,
    "",
    ...table("self time by category", s.selfByCategory),
    ...table(
      "time by responsible src/ file (innermost src/ frame; includes the Node and library calls it made)",
      s.byResponsibleFile,
    ),
    ...table("time by responsible src/ function", s.byResponsibleFunction),
    ...table("self time by function", s.selfByFunction),
    ...table("inclusive time, src/ functions", s.inclusiveByFunction),
  ].join("\n");
}
