/**
 * Bytes on the wire: what an incremental deploy sends for
 *
 * - a one-line edit in a ~1 MiB text file,
 * - 10 scattered one-line edits in a ~20 MiB text file,
 * - a 50-agent change (version bump + one prompt line each) in a workspace of 200 valid agents,
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
 * Everything lives in one temp folder, removed at the end; every child process has a time-out and is killed
 * (by pid) if still running when the run ends or fails.
 */
import { spawn, type ChildProcess } from "node:child_process";
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { CAXTON, REPO, startServe, type ServeProcess } from "../support/caxton-serve.js";
import { CAPABILITIES, mulberry32 } from "./generate-workspace.js";

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

/**
 * Text that compresses like prompts and config files: a vocabulary of 3,000 made-up words drawn with a
 * Zipf-like (log-uniform rank) distribution, as prose sentences, bullets and `key = "value"` lines.
 */
class TextGen {
  private readonly words: string[];
  constructor(readonly rnd: () => number) {
    const onsets = [
      "b",
      "c",
      "d",
      "f",
      "g",
      "k",
      "l",
      "m",
      "n",
      "p",
      "r",
      "s",
      "t",
      "v",
      "st",
      "tr",
      "pl",
      "ch",
    ];
    const vowels = ["a", "e", "i", "o", "u", "ai", "ou", "ea"];
    const codas = ["", "", "n", "r", "s", "t", "l", "nd", "ck"];
    const seen = new Set<string>();
    while (seen.size < 3000) {
      let w = "";
      const syllables = 1 + this.int(0, 2);
      for (let i = 0; i < syllables; i++) w += this.pick(onsets) + this.pick(vowels) + this.pick(codas);
      seen.add(w);
    }
    this.words = [...seen];
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.rnd() * (hi - lo + 1));
  }
  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.rnd() * list.length)] as T;
  }
  word(): string {
    const rank = Math.floor(Math.exp(this.rnd() * Math.log(this.words.length + 1))) - 1;
    return this.words[Math.min(rank, this.words.length - 1)] as string;
  }
  phrase(lo: number, hi: number): string {
    const n = this.int(lo, hi);
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.word());
    return out.join(" ");
  }
  sentence(): string {
    const s = this.phrase(6, 18);
    return `${s.charAt(0).toUpperCase()}${s.slice(1)}.`;
  }
  line(): string {
    const r = this.rnd();
    if (r < 0.7) return this.sentence();
    if (r < 0.85) return `- ${this.phrase(3, 9)}`;
    return `${this.word()}_${this.word()} = "${this.phrase(1, 5)}"`;
  }
  /** lines until their joined size (with a newline each) reaches `bytes` */
  lines(bytes: number): string[] {
    const out: string[] = [];
    let size = 0;
    while (size < bytes) {
      const l = this.line();
      out.push(l);
      size += Buffer.byteLength(l) + 1;
    }
    return out;
  }
}

const joinLines = (lines: string[]): string => `${lines.join("\n")}\n`;

// ---------------------------------------------------------------------------------------------------------
// Processes

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

class Children {
  private readonly live = new Set<ChildProcess>();
  /** set by killAll: a scenario still finishing after a failure starts nothing new */
  private stopped = false;

  run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Ran> {
    return new Promise((resolve, reject) => {
      if (this.stopped) return reject(new Error("wire bench: stopped"));
      const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
      this.adopt(child);
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`wire bench: ${cmd} ${args.join(" ")} timed out after ${PROCESS_TIMEOUT_MS} ms`));
      }, PROCESS_TIMEOUT_MS);
      child.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once("close", (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** `caxton serve --quiet` on a free loopback port, tracked with the rest */
  serve(dataDir: string, env: NodeJS.ProcessEnv): Promise<ServeProcess> {
    if (this.stopped) return Promise.reject(new Error("wire bench: stopped"));
    return startServe({
      dataDir,
      env,
      inheritEnv: false,
      quiet: true,
      timeoutMs: 20_000,
      onSpawn: this.adopt,
    });
  }

  private readonly adopt = (child: ChildProcess): void => {
    this.live.add(child);
    child.once("close", () => this.live.delete(child));
  };

  /** kills (by pid, SIGKILL) whatever this run started that is still running, and waits for it */
  async killAll(): Promise<void> {
    this.stopped = true;
    const waits = [...this.live].map(
      (c) =>
        new Promise<void>((r) => {
          if (c.exitCode !== null || c.signalCode !== null) return r();
          c.once("close", () => r());
          c.kill("SIGKILL");
        }),
    );
    await Promise.all(waits);
  }
}

/** what `which` does: the first executable file named `name` on $PATH, else null */
function findProgram(name: string): string | null {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return null;
}

interface Programs {
  xdelta3: string | null;
  zstd: string | null;
  tar: string | null;
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
  up_to_date: boolean;
  bytes_sent: number;
  bytes_received: number;
  round_trips: number;
  files: { path: string; operation: string; bytes: number; sent: "whole" | "delta" | "none" }[];
}

async function deploy(kids: Children, ws: string, url: string, env: NodeJS.ProcessEnv): Promise<DeployJson> {
  const r = await kids.run(process.execPath, [CAXTON, "deploy", ws, "--server", url, "--json"], env);
  let json: DeployJson | undefined;
  try {
    json = JSON.parse(r.stdout) as DeployJson;
  } catch {
    // reported below
  }
  if (r.code !== 0 || !json?.success) {
    throw new Error(`wire bench: caxton deploy ${ws} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  }
  return json;
}

// ---------------------------------------------------------------------------------------------------------
// The other tools, on old/new pairs

interface Pair {
  old: string;
  new: string;
}

function sizeOf(path: string): number {
  return statSync(path).size;
}

async function check(r: Promise<Ran>, what: string): Promise<void> {
  const ran = await r;
  if (ran.code !== 0) throw new Error(`wire bench: ${what} exited ${ran.code}: ${ran.stderr}`);
}

/** `xdelta3 -9 -e -s old new out`, summed over the pairs (one at a time) */
async function xdelta3(kids: Children, p: Programs, pairs: Pair[], outDir: string): Promise<ToolBytes> {
  if (!p.xdelta3) return "not installed";
  let total = 0;
  for (const [i, pair] of pairs.entries()) {
    const out = join(outDir, `xdelta3-${i}.vcdiff`);
    await check(kids.run(p.xdelta3, ["-9", "-e", "-f", "-s", pair.old, pair.new, out]), "xdelta3 -9");
    total += sizeOf(out);
  }
  return total;
}

/**
 * `zstd --patch-from=old new` at zstd's default level (3, as our packs), with the window covering both files:
 * `--long=W`, W = bits of max(old, new) + 1 (what src/delta uses), at least 10 (zstd's minimum).
 */
async function zstdPatchFrom(kids: Children, p: Programs, pairs: Pair[], outDir: string): Promise<ToolBytes> {
  if (!p.zstd) return "not installed";
  let total = 0;
  for (const [i, pair] of pairs.entries()) {
    const out = join(outDir, `patch-from-${i}.zst`);
    const biggest = Math.max(statSync(pair.old).size, statSync(pair.new).size, 1);
    const windowLog = Math.min(31, Math.max(10, Math.ceil(Math.log2(biggest)) + 1));
    const args = ["-q", "-f", `--long=${windowLog}`, `--patch-from=${pair.old}`, pair.new, "-o", out];
    await check(kids.run(p.zstd, args), "zstd --patch-from");
    total += sizeOf(out);
  }
  return total;
}

/** `zstd -19` of one file (the new content whole: what sending it without a delta could cost at best) */
async function zstdWhole(kids: Children, p: Programs, file: string, out: string): Promise<ToolBytes> {
  if (!p.zstd) return "not installed";
  await check(kids.run(p.zstd, ["-q", "-f", "-19", file, "-o", out]), "zstd -19");
  return sizeOf(out);
}

/** a reproducible tar of `names` (relative to `dir`), then `zstd -19` of it */
async function tarZstdWhole(
  kids: Children,
  p: Programs,
  dir: string,
  names: string[],
  outDir: string,
): Promise<ToolBytes> {
  if (!p.zstd || !p.tar) return "not installed";
  const tar = join(outDir, "new-files.tar");
  const tarArgs = ["--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "-cf", tar];
  await check(kids.run(p.tar, [...tarArgs, "-C", dir, ...names]), "tar");
  return zstdWhole(kids, p, tar, `${tar}.zst`);
}

// ---------------------------------------------------------------------------------------------------------
// Scenarios

interface Ctx {
  kids: Children;
  programs: Programs;
  log: (s: string) => void;
}

function describeModes(files: DeployJson["files"]): string {
  const counts = new Map<string, number>();
  for (const f of files) counts.set(f.sent, (counts.get(f.sent) ?? 0) + 1);
  if (files.length === 1) return files[0]?.sent ?? "none";
  return [...counts].map(([mode, n]) => `${n} ${mode}`).join(", ");
}

/**
 * Deploys `ws` as it is (the base), runs `edit` (which writes the new content), deploys again and returns
 * that second deploy; the server runs only for these two deploys.
 */
async function measureOurs(ctx: Ctx, dir: string, ws: string, edit: () => void): Promise<DeployJson> {
  const env = clientEnv(join(dir, "state"));
  const server = await ctx.kids.serve(join(dir, "data"), env);
  try {
    await deploy(ctx.kids, ws, server.url, env);
    edit();
    return await deploy(ctx.kids, ws, server.url, env);
  } finally {
    await server.stop();
  }
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

/**
 * One text file of `bytes`, `edits` of its lines replaced (evenly spread, jittered). Resolves once the
 * deploys are done, with the row still pending: the slow `zstd -19` of the new file (and the other tools)
 * may still be running, so the caller can start the next scenario meanwhile.
 */
async function fileScenario(
  ctx: Ctx,
  root: string,
  spec: { scenario: WireScenario; label: string; bytes: number; edits: number; seed: number },
): Promise<{ row: Promise<WireRow> }> {
  const dir = join(root, spec.scenario);
  const ws = join(dir, "ws");
  const pairs = join(dir, "pairs");
  const outDir = join(dir, "out");
  // an (empty) agents/ folder makes ws a workspace; it adds nothing to the deployment
  for (const d of [join(ws, "data"), join(ws, "agents"), pairs, outDir]) mkdirSync(d, { recursive: true });
  ctx.log(`wire bench: ${spec.label}: generating`);

  const gen = new TextGen(mulberry32(spec.seed));
  const lines = gen.lines(spec.bytes);
  const oldText = joinLines(lines);
  for (let k = 0; k < spec.edits; k++) {
    const at = Math.floor(((k + gen.rnd()) * lines.length) / spec.edits);
    lines[Math.min(at, lines.length - 1)] = gen.line();
  }
  const newText = joinLines(lines);
  const pair: Pair = { old: join(pairs, "old.txt"), new: join(pairs, "new.txt") };
  writeFileSync(pair.old, oldText);
  writeFileSync(pair.new, newText);
  const target = join(ws, "data", "notes.txt");
  writeFileSync(target, oldText);

  const whole = zstdWhole(ctx.kids, ctx.programs, pair.new, join(outDir, "whole.zst"));
  whole.catch(() => undefined); // awaited below; this keeps an early failure from being "unhandled"

  ctx.log(`wire bench: ${spec.label}: deploying base and edit`);
  const json = await measureOurs(ctx, dir, ws, () => writeFileSync(target, newText));
  const { ours, warnings } = oursOf(json, { files: 1, mode: "delta" });

  const finish = async (): Promise<WireRow> => {
    const xd = await xdelta3(ctx.kids, ctx.programs, [pair], outDir);
    const pf = await zstdPatchFrom(ctx.kids, ctx.programs, [pair], outDir);
    const zw = await whole;
    ctx.log(`wire bench: ${spec.label}: done`);
    return {
      scenario: spec.scenario,
      label: spec.label,
      changedFiles: 1,
      fileBytes: Buffer.byteLength(newText),
      ours,
      xdelta3: xd,
      zstdPatchFrom: pf,
      zstdWhole: zw,
      warnings,
    };
  };
  return { row: finish() };
}

interface Agent {
  name: string;
  version: [number, number, number];
  capabilities: string[];
  description: string;
  prompt: string[];
  template: string;
}

/** valid per docs/workspace-format.md: name, version, capabilities, both prompts, [tools] available */
function renderAgent(a: Agent): string {
  return [
    `name = "${a.name}"`,
    `version = "${a.version.join(".")}"`,
    `description = "${a.description}"`,
    `capabilities = [${a.capabilities.map((c) => `"${c}"`).join(", ")}]`,
    "system_prompt = '''",
    ...a.prompt,
    "'''",
    `user_prompt_template = "${a.template}"`,
    "",
    "[tools]",
    'available = ["read_file"]',
    "",
  ].join("\n");
}

async function agentsScenario(
  ctx: Ctx,
  root: string,
  agents: number,
  changed: number,
): Promise<{ row: Promise<WireRow> }> {
  const scenario: WireScenario = "agents-50";
  const label = `${changed} agents changed (of ${agents})`;
  const dir = join(root, scenario);
  const ws = join(dir, "ws");
  const oldDir = join(dir, "pairs", "old");
  const newDir = join(dir, "pairs", "new");
  const outDir = join(dir, "out");
  for (const d of [join(ws, "agents"), oldDir, newDir, outDir]) mkdirSync(d, { recursive: true });
  ctx.log(`wire bench: ${label}: generating`);

  const gen = new TextGen(mulberry32(SEED + 50));
  const all: Agent[] = [];
  for (let i = 0; i < agents; i++) {
    const caps = new Set<string>();
    const nCaps = gen.int(1, 4);
    while (caps.size < nCaps) caps.add(gen.pick(CAPABILITIES));
    const prompt: string[] = [];
    const nLines = gen.int(20, 50);
    for (let j = 0; j < nLines; j++) prompt.push(gen.sentence());
    all.push({
      name: `agent-${String(i).padStart(3, "0")}`,
      version: [gen.int(0, 3), gen.int(0, 20), gen.int(0, 40)],
      capabilities: [...caps],
      description: gen.phrase(4, 10),
      prompt,
      template: `${gen.phrase(2, 6)}: {input}`,
    });
  }
  const fileOf = (a: Agent): string => `${a.name}.toml`;
  for (const a of all) writeFileSync(join(ws, "agents", fileOf(a)), renderAgent(a));

  // which agents change: a seeded Fisher-Yates shuffle, the first `changed`
  const order = all.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = gen.int(0, i);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const edited = order
    .slice(0, changed)
    .sort((x, y) => x - y)
    .map((i) => all[i] as Agent);
  const pairs: Pair[] = [];
  const newTexts = new Map<string, string>();
  for (const a of edited) {
    const file = fileOf(a);
    writeFileSync(join(oldDir, file), renderAgent(a));
    a.version = [a.version[0], a.version[1], a.version[2] + 1];
    a.prompt[gen.int(0, a.prompt.length - 1)] = gen.sentence();
    const text = renderAgent(a);
    newTexts.set(file, text);
    writeFileSync(join(newDir, file), text);
    pairs.push({ old: join(oldDir, file), new: join(newDir, file) });
  }
  const names = [...newTexts.keys()];
  const whole = tarZstdWhole(ctx.kids, ctx.programs, newDir, names, outDir);
  whole.catch(() => undefined);

  ctx.log(`wire bench: ${label}: deploying base and edit`);
  const json = await measureOurs(ctx, dir, ws, () => {
    for (const [file, text] of newTexts) writeFileSync(join(ws, "agents", file), text);
  });
  // agent files are under the 10 KiB delta threshold: they go whole, batched in one pack
  const { ours, warnings } = oursOf(json, { files: changed, mode: "whole" });

  const finish = async (): Promise<WireRow> => {
    const xd = await xdelta3(ctx.kids, ctx.programs, pairs, outDir);
    const pf = await zstdPatchFrom(ctx.kids, ctx.programs, pairs, outDir);
    const zw = await whole;
    ctx.log(`wire bench: ${label}: done`);
    return {
      scenario,
      label,
      changedFiles: changed,
      fileBytes: [...newTexts.values()].reduce((s, t) => s + Buffer.byteLength(t), 0),
      ours,
      xdelta3: xd,
      zstdPatchFrom: pf,
      zstdWhole: zw,
      warnings,
    };
  };
  return { row: finish() };
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
  if (!existsSync(join(REPO, "dist", "cli", "caxton.js"))) {
    throw new Error("wire bench: the CLI is not built; run `npm run build` first");
  }
  const programs: Programs = {
    xdelta3: findProgram("xdelta3"),
    zstd: findProgram("zstd"),
    tar: findProgram("tar"),
  };
  for (const [name, path] of Object.entries(programs)) if (!path) log(`wire bench: ${name} not installed`);
  const root = mkdtempSync(join(tmpdir(), "caxton-wirebench-"));
  const kids = new Children();
  const ctx: Ctx = { kids, programs, log };
  const pending: Promise<WireRow>[] = [];
  const track = ({ row }: { row: Promise<WireRow> }): void => {
    row.catch(() => undefined); // awaited together below
    pending.push(row);
  };
  try {
    if (!options.quick) {
      track(
        await fileScenario(ctx, root, {
          scenario: "edits-20mib",
          label: "10 scattered line edits, 20 MiB text file",
          bytes: 20 * MIB,
          edits: 10,
          seed: SEED + 20,
        }),
      );
    }
    track(
      await fileScenario(ctx, root, {
        scenario: "edit-1mib",
        label: "one-line edit, 1 MiB text file",
        bytes: MIB,
        edits: 1,
        seed: SEED + 1,
      }),
    );
    if (!options.quick) track(await agentsScenario(ctx, root, 200, 50));
    const rows = await Promise.all(pending);
    return rows.sort((a, b) => ORDER.indexOf(a.scenario) - ORDER.indexOf(b.scenario));
  } finally {
    await kids.killAll();
    await Promise.allSettled(pending);
    rmSync(root, { recursive: true, force: true });
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
