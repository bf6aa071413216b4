/**
 * Bytes on the wire: what an incremental deploy sends for
 *
 * - a one-line edit in a ~1 MiB text file,
 * - 10 scattered one-line edits in a ~20 MiB text file,
 * - a 50-agent change (a rewritten description line each) in a generated workspace of 200 agents,
 *
 * measured with the real processes (`caxton serve` on 127.0.0.1:0, `caxton deploy --json` as a user runs it:
 * base deployed first, the edit applied, deployed again; `bytes_sent` of that second deploy is ours), side by
 * side with `xdelta3 -9`, `zstd --patch-from` (default level 3, the level our packs use) and plain `zstd -19`
 * of the new content, on the same old/new pairs, each only where the program is installed.
 *
 * Ours counts the socket (HTTP request line and headers, the zstd-compressed pack with its tree objects);
 * the other tools' figures are their output files alone. `files[].bytes` ("payload") is the delta's length,
 * or a whole file's size before the pack's compression.
 *
 * The texts are generate-workspace.ts's made-up words (Zipf-like, so they compress like prompts); the agents
 * are generateWorkspace's, edited with mutate-workspace.ts's `editAgent`. Everything lives in one temp folder, removed at the end; every child process has a time-out, and what is
 * still running when the run fails is killed (by pid).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { CAXTON, REPO, startServe } from "../support/caxton-serve.js";
import { killTrackedChildren, trackChild } from "./child-processes.js";
import { generateWorkspace, mulberry32, SIZES, Text, type SizeSpec } from "./generate-workspace.js";
import { assertSuccess, measureProcess } from "./measure-process.js";
import { editAgent, pickAgents } from "./mutate-workspace.js";

export interface WireBenchOptions {
  /** only the 1 MiB scenario */
  quick?: boolean;
  /** progress lines */
  log?: (s: string) => void;
}

/** an output size in bytes, or why there is none */
export type ToolBytes = number | "not installed";

export type WireScenario = "edit-1mib" | "edits-20mib" | "agents-50";

export interface WireRow {
  scenario: WireScenario;
  /** what changed, for the table */
  label: string;
  /** files the edit changed (1, 1, 50) */
  changedFiles: number;
  /** size of the changed file after the edit; for the 50-agent change, the sum of the 50 new files */
  fileBytes: number;
  ours: {
    /** `deploy --json` bytes_sent: on the socket, after compression, HTTP headers included */
    bytesSent: number;
    bytesReceived: number;
    roundTrips: number;
    /** `files[].bytes` summed over the changed files: a delta's length, or a whole file's raw size */
    payloadBytes: number;
    /** how the changed files travelled: "delta", "whole", or counts such as "50 whole" */
    mode: string;
  };
  /** `xdelta3 -9 -e -s old new out`, summed over the changed files */
  xdelta3: ToolBytes;
  /** `zstd --long=W --patch-from=old new -o out`, summed over the changed files */
  zstdPatchFrom: ToolBytes;
  /** `zstd -19 new` (the 50-agent change: a tar of the 50 new files, then `zstd -19`) */
  zstdWhole: ToolBytes;
  /** anything that makes the row suspect (a warm deploy of more than one round trip, no delta, ...) */
  warnings: string[];
}

const SEED = 0x5eed_0004;
const MIB = 1024 * 1024;
/**
 * Per child process. The whole run takes ~20 s on 2 cores (46 s seen while other builds ran), most of it
 * `zstd -19` of the 20 MiB file.
 */
const PROCESS_TIMEOUT_MS = 120_000;
/** 200 agents (and tools/mcp_servers.toml), flat in agents/ */
const AGENTS_200: SizeSpec = {
  ...SIZES.S,
  summary: "200 agents",
  agents: 200,
  agentsPerFolder: 200,
  folderPerAgent: false,
};

interface Ctx {
  /** the run's temp folder, also the scratch folder of measureProcess */
  root: string;
  programs: { xdelta3: boolean; zstd: boolean; tar: boolean };
  log: (s: string) => void;
  /** set when the run failed: what is still pending starts no new process */
  stopped: boolean;
}

/** Runs a program to its end (time-out PROCESS_TIMEOUT_MS); throws unless it exits 0. */
async function run(ctx: Ctx, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  if (ctx.stopped) throw new Error("wire bench: stopped");
  const opts = { env, scratchDir: ctx.root, timeoutMs: PROCESS_TIMEOUT_MS };
  return assertSuccess(await measureProcess(cmd, args, opts));
}

/** the client's environment: no CAXTON_* from the caller (server, token, ...), its own state folder */
function clientEnv(stateDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("CAXTON_")) env[k] = v;
  env.CAXTON_STATE_DIR = stateDir;
  env.NO_COLOR = "1";
  return env;
}

interface DeployJson {
  success: boolean;
  bytes_sent: number;
  bytes_received: number;
  round_trips: number;
  files: { path: string; operation: string; bytes: number; sent: "whole" | "delta" | "none" }[];
}

async function deploy(ctx: Ctx, ws: string, url: string, env: NodeJS.ProcessEnv): Promise<DeployJson> {
  const r = await run(ctx, process.execPath, [CAXTON, "deploy", ws, "--server", url, "--json"], env);
  const json = JSON.parse(r.stdout) as DeployJson;
  if (!json.success) throw new Error(`wire bench: caxton deploy ${ws} failed:\n${r.stdout}\n${r.stderr}`);
  return json;
}

/**
 * Deploys `ws` as it is (the base), runs `edit` (which writes the new content), deploys again and returns
 * that second deploy; the server runs only for these two deploys.
 */
async function measureOurs(ctx: Ctx, dir: string, ws: string, edit: () => void): Promise<DeployJson> {
  const env = clientEnv(join(dir, "state"));
  if (ctx.stopped) throw new Error("wire bench: stopped");
  const server = await startServe({
    dataDir: join(dir, "data"),
    env,
    inheritEnv: false,
    quiet: true,
    timeoutMs: 20_000,
    onSpawn: trackChild,
  });
  try {
    await deploy(ctx, ws, server.url, env);
    edit();
    return await deploy(ctx, ws, server.url, env);
  } finally {
    await server.stop();
  }
}

function describeModes(files: DeployJson["files"]): string {
  const counts = new Map<string, number>();
  for (const f of files) counts.set(f.sent, (counts.get(f.sent) ?? 0) + 1);
  if (files.length === 1) return files[0]?.sent ?? "none";
  return [...counts].map(([mode, n]) => `${n} ${mode}`).join(", ");
}

function oursOf(json: DeployJson, expected: { files: number; mode: "delta" | "whole" }) {
  const changed = json.files.filter((f) => f.operation === "modified");
  const warnings: string[] = [];
  if (json.round_trips !== 1) warnings.push(`the warm deploy took ${json.round_trips} round trips, not 1`);
  if (changed.length !== expected.files || json.files.length !== expected.files) {
    warnings.push(`deploy reported ${json.files.length} changed files, expected ${expected.files} modified`);
  }
  const unexpected = changed.filter((f) => f.sent !== expected.mode);
  if (unexpected.length > 0) {
    warnings.push(`${unexpected.length} file(s) not sent as ${expected.mode}: ${describeModes(unexpected)}`);
  }
  return {
    ours: {
      bytesSent: json.bytes_sent,
      bytesReceived: json.bytes_received,
      roundTrips: json.round_trips,
      payloadBytes: changed.reduce((s, f) => s + f.bytes, 0),
      mode: describeModes(changed),
    },
    warnings,
  };
}

// ---------------------------------------------------------------------------------------------------------
// The other tools, on old/new pairs

interface Pair {
  old: string;
  new: string;
}

/** `xdelta3 -9 -e -s old new out` and `zstd --patch-from`, each summed over the pairs (one at a time) */
async function deltaTools(ctx: Ctx, pairs: Pair[], outDir: string) {
  let xdelta3: ToolBytes = ctx.programs.xdelta3 ? 0 : "not installed";
  let zstdPatchFrom: ToolBytes = ctx.programs.zstd ? 0 : "not installed";
  for (const [i, pair] of pairs.entries()) {
    if (typeof xdelta3 === "number") {
      const out = join(outDir, `xdelta3-${i}.vcdiff`);
      await run(ctx, "xdelta3", ["-9", "-e", "-f", "-s", pair.old, pair.new, out]);
      xdelta3 += statSync(out).size;
    }
    if (typeof zstdPatchFrom === "number") {
      // zstd's default level (3, as our packs); the window covers both files: `--long=W`, W = bits of
      // max(old, new) + 1 (what src/delta uses), at least 10 (zstd's minimum)
      const out = join(outDir, `patch-from-${i}.zst`);
      const biggest = Math.max(statSync(pair.old).size, statSync(pair.new).size, 1);
      const windowLog = Math.min(31, Math.max(10, Math.ceil(Math.log2(biggest)) + 1));
      await run(ctx, "zstd", [
        "-q",
        "-f",
        `--long=${windowLog}`,
        `--patch-from=${pair.old}`,
        pair.new,
        "-o",
        out,
      ]);
      zstdPatchFrom += statSync(out).size;
    }
  }
  return { xdelta3, zstdPatchFrom };
}

/** `zstd -19` of the new content whole (what sending it without a delta could cost at best; several files: a reproducible tar of them) */
async function zstdWhole(ctx: Ctx, newDir: string, names: string[], outDir: string): Promise<ToolBytes> {
  if (!ctx.programs.zstd || (names.length > 1 && !ctx.programs.tar)) return "not installed";
  let input = join(newDir, names[0] as string);
  if (names.length > 1) {
    input = join(outDir, "new-files.tar");
    const tar = ["--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "-cf", input];
    await run(ctx, "tar", [...tar, "-C", newDir, ...names]);
  }
  const out = join(outDir, "whole.zst");
  await run(ctx, "zstd", ["-q", "-f", "-19", input, "-o", out]);
  return statSync(out).size;
}

// ---------------------------------------------------------------------------------------------------------
// Scenarios

interface Scenario {
  scenario: WireScenario;
  label: string;
  expected: { files: number; mode: "delta" | "whole" };
  /** writes the base into `ws`; returns the files the edit changes (relative to ws) and the edit */
  prepare(ws: string): { changed: string[]; edit: () => void };
}

/**
 * Deploys the base and the edit. Resolves once the deploys are done, with the row still pending: the slow
 * `zstd -19` of the new content (and the other tools) may still be running, so the caller can start the next
 * scenario meanwhile. Each changed file is copied to old/ before and to new/ after the edit.
 */
async function runScenario(ctx: Ctx, s: Scenario): Promise<{ row: Promise<WireRow> }> {
  const dir = join(ctx.root, s.scenario);
  const [ws, oldDir, newDir, outDir] = [
    join(dir, "ws"),
    join(dir, "old"),
    join(dir, "new"),
    join(dir, "out"),
  ];
  for (const d of [ws, oldDir, newDir, outDir]) mkdirSync(d, { recursive: true });
  ctx.log(`wire bench: ${s.label}: generating`);
  const { changed, edit } = s.prepare(ws);
  const names = changed.map((rel) => basename(rel));
  const pairs: Pair[] = names.map((name) => ({ old: join(oldDir, name), new: join(newDir, name) }));
  changed.forEach((rel, i) => copyFileSync(join(ws, rel), (pairs[i] as Pair).old));
  ctx.log(`wire bench: ${s.label}: deploying base and edit`);
  const json = await measureOurs(ctx, dir, ws, () => {
    edit();
    changed.forEach((rel, i) => copyFileSync(join(ws, rel), (pairs[i] as Pair).new));
  });
  const { ours, warnings } = oursOf(json, s.expected);
  const whole = zstdWhole(ctx, newDir, names, outDir);
  whole.catch(() => undefined); // awaited below; this keeps an early failure from being "unhandled"
  const finish = async (): Promise<WireRow> => {
    const tools = await deltaTools(ctx, pairs, outDir);
    const zstdWholeBytes = await whole;
    ctx.log(`wire bench: ${s.label}: done`);
    return {
      scenario: s.scenario,
      label: s.label,
      changedFiles: pairs.length,
      fileBytes: pairs.reduce((n, p) => n + statSync(p.new).size, 0),
      ours,
      ...tools,
      zstdWhole: zstdWholeBytes,
      warnings,
    };
  };
  return { row: finish() };
}

/** One text file of `bytes`, `edits` of its lines replaced (evenly spread, jittered). */
function textFile(
  scenario: WireScenario,
  label: string,
  bytes: number,
  edits: number,
  seed: number,
): Scenario {
  return {
    scenario,
    label,
    expected: { files: 1, mode: "delta" },
    prepare(ws) {
      // an (empty) agents/ folder makes ws a workspace; it adds nothing to the deployment
      for (const d of ["agents", "data"]) mkdirSync(join(ws, d));
      const text = Text.madeUp(mulberry32(seed));
      const lines = text.lines(bytes);
      const target = join(ws, "data", "notes.txt");
      writeFileSync(target, `${lines.join("\n")}\n`);
      for (let k = 0; k < edits; k++) {
        const at = Math.floor(((k + text.rnd()) * lines.length) / edits);
        lines[Math.min(at, lines.length - 1)] = text.line();
      }
      return { changed: ["data/notes.txt"], edit: () => writeFileSync(target, `${lines.join("\n")}\n`) };
    },
  };
}

/** `changed` agents of a generated workspace of 200, each with its description line rewritten */
function agents(changed: number): Scenario {
  return {
    scenario: "agents-50",
    label: `${changed} agents changed (of ${AGENTS_200.agents})`,
    // agent files are under the 10 KiB delta threshold: they go whole, batched in one pack
    expected: { files: changed, mode: "whole" },
    prepare(dir) {
      const ws = generateWorkspace(dir, AGENTS_200, SEED + 50);
      const picked = pickAgents(ws, changed);
      return { changed: picked, edit: () => picked.forEach((rel) => editAgent(ws, rel)) };
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Entry points

const ORDER: WireScenario[] = ["edit-1mib", "edits-20mib", "agents-50"];

/**
 * Runs the scenarios against the real processes and the installed tools; rows in the order 1 MiB, 20 MiB,
 * 50 agents. The 20 MiB scenario runs first so its `zstd -19` (the slowest step, ~15–20 s) overlaps the
 * other scenarios' deploys; only byte counts are measured here, so the overlap changes no figure.
 */
export async function runWireBench(options: WireBenchOptions = {}): Promise<WireRow[]> {
  const log = options.log ?? (() => undefined);
  if (!existsSync(join(REPO, "dist", "cli", "caxton.cjs"))) {
    throw new Error("wire bench: the CLI is not built; run `npm run build` first");
  }
  const installed = (name: string): boolean => !spawnSync(name, ["--help"], { stdio: "ignore" }).error;
  const programs = { xdelta3: installed("xdelta3"), zstd: installed("zstd"), tar: installed("tar") };
  for (const [name, ok] of Object.entries(programs)) if (!ok) log(`wire bench: ${name} not installed`);
  const ctx: Ctx = { root: mkdtempSync(join(tmpdir(), "caxton-wirebench-")), programs, log, stopped: false };
  const scenarios = [
    ...(options.quick
      ? []
      : [textFile("edits-20mib", "10 scattered line edits, 20 MiB text file", 20 * MIB, 10, SEED + 20)]),
    textFile("edit-1mib", "one-line edit, 1 MiB text file", MIB, 1, SEED + 1),
    ...(options.quick ? [] : [agents(50)]),
  ];
  const pending: Promise<WireRow>[] = [];
  try {
    for (const s of scenarios) {
      const { row } = await runScenario(ctx, s);
      row.catch(() => undefined); // awaited together below
      pending.push(row);
    }
    const rows = await Promise.all(pending);
    return rows.sort((a, b) => ORDER.indexOf(a.scenario) - ORDER.indexOf(b.scenario));
  } catch (err) {
    ctx.stopped = true;
    killTrackedChildren();
    throw err;
  } finally {
    await Promise.allSettled(pending);
    rmSync(ctx.root, { recursive: true, force: true });
  }
}

const int = (n: number): string => n.toLocaleString("en-US");

function size(n: number): string {
  if (n >= MIB) return `${(n / MIB).toFixed(2)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

const tool = (b: ToolBytes): string => (typeof b === "number" ? int(b) : b);

/** A markdown table (bytes), then the legend and any warnings. */
export function formatWireTable(rows: WireRow[]): string {
  const head = [
    "scenario",
    "file size",
    "ours: bytes sent (wire)",
    "ours: payload",
    "ours: mode",
    "round trips",
    "xdelta3 -9",
    "zstd --patch-from",
    "zstd -19 whole",
    "ours / xdelta3",
  ];
  const body = rows.map((r) => [
    r.label,
    r.changedFiles === 1 ? size(r.fileBytes) : `${r.changedFiles} files, ${size(r.fileBytes)}`,
    int(r.ours.bytesSent),
    int(r.ours.payloadBytes),
    r.ours.mode,
    String(r.ours.roundTrips),
    tool(r.xdelta3),
    tool(r.zstdPatchFrom),
    tool(r.zstdWhole),
    typeof r.xdelta3 === "number" && r.xdelta3 > 0 ? `${(r.ours.bytesSent / r.xdelta3).toFixed(1)}×` : "—",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(" | ")} |`;
  const rule = `| ${widths.map((w, i) => (i === 0 ? "-".repeat(w) : `${"-".repeat(w - 1)}:`)).join(" | ")} |`;
  const out = [line(head), rule, ...body.map(line)];
  out.push(
    "",
    "Ours: `deploy --json` of the change after the base was deployed; bytes sent on the socket, HTTP headers and " +
      "tree objects included; payload = `files[].bytes` (a delta's length, or a whole file's raw size). " +
      "xdelta3 / zstd: their output files only, summed over the changed files (zstd --patch-from at its " +
      "default level 3, `--long` = bits of the larger file + 1); zstd -19 whole: the new file (50 agents: a tar " +
      "of the 50 new files).",
  );
  for (const r of rows) for (const w of r.warnings) out.push(`- warning (${r.label}): ${w}`);
  return out.join("\n");
}
