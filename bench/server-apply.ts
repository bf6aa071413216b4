/**
 * The server's side of a one-agent deploy, in process: a `DeployService` over a file store takes the size's
 * workspace once, then `--runs` one-agent changes, each a pack (the changed blob and the tree objects not
 * sent before) handed to `deploy` as the HTTP route hands it a request body. Prints, per size, the median
 * of the whole `deploy` call and of `apply_ms` (what `deploy --json` reports as the server's apply), and
 * the XL / M ratio of the apply. No HTTP, no client process: what is left is the server's own work.
 *
 *   node dist/bench/server-apply.js [--sizes M,XL] [--runs 9] [--first] [--no-sync]
 *
 * `--first` also times the first deploy (receive, validation, apply) per size. `--no-sync` replaces the
 * fsyncs and the syncfs with nothing: on a disk others share, an fsync costs 1–50 ms at random, which hides
 * what the server's own work costs; the CPU time of the deploy call is printed too. `--profile DIR` writes
 * a CPU profile of each measured one-agent deploy call (and only of it) to DIR, with a summary of the last.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildTree } from "../src/merkle/build-tree.js";
import { sha256Hex } from "../src/merkle/sha256.js";
import { encodeObjectHead, encodePackEnd, encodePackStart } from "../src/protocol/pack-encoder.js";
import type { DeployResult } from "../src/protocol/messages.js";
import { DeployService } from "../src/server/deploy-service.js";
import { realDurability, type DurabilityPort, type DurabilityStep } from "../src/store/durable-fs.js";
import { openFileStore } from "../src/store/file-store.js";
import { generateWorkspace, SIZES, type SizeName } from "./generate-workspace.js";
import { editAgent, pickAgents } from "./mutate-workspace.js";
import { sampleStats } from "./sample-stats.js";
import {
  readCpuProfile,
  renderProfileSummary,
  summarizeCpuProfile,
  type CpuProfile,
} from "./summarize-cpu-profile.js";
import { workspaceContents } from "./workspace-contents.js";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "M,XL" },
    runs: { type: "string", default: "9" },
    first: { type: "boolean", default: false },
    "no-sync": { type: "boolean", default: false },
    profile: { type: "string" },
  },
});

async function* bodyOf(header: object, objects: Map<string, Buffer>): AsyncIterable<Buffer> {
  yield encodePackStart(header);
  for (const [hash, bytes] of objects) {
    yield encodeObjectHead(hash, bytes.length);
    yield bytes;
  }
  yield encodePackEnd();
}

interface Measured {
  first: { totalMs: number; validationMs: number; applyMs: number };
  total: number[];
  apply: number[];
  cpu: number[];
  user: number[];
  /** per run: ms from the deploy call's start to "begin", between steps, and from "committed" to the end */
  split: Map<string, number[]>;
}

/** When each named commit step was reached (the durability port's hook), for the split of the commit. */
const steps: [DurabilityStep, number][] = [];
const durability = (inner: DurabilityPort): DurabilityPort => ({
  fsyncFile: (path) => inner.fsyncFile(path),
  fsyncDir: (path) => inner.fsyncDir(path),
  syncFilesystem: (path) => inner.syncFilesystem(path),
  step: (name) => void steps.push([name, performance.now()]),
});
const noSync: DurabilityPort = { fsyncFile() {}, fsyncDir() {}, syncFilesystem() {}, step() {} };

async function measure(size: SizeName, runs: number): Promise<Measured> {
  const root = mkdtempSync(join(tmpdir(), "caxton-server-apply-"));
  try {
    const ws = generateWorkspace(join(root, "ws"), SIZES[size]);
    const contents = workspaceContents(ws.dir);
    const store = openFileStore(join(root, "data"), durability(values["no-sync"] ? noSync : realDurability));
    const service = new DeployService(store);
    const sent = new Set<string>();
    let live: string | null = null;
    const deploy = async (): Promise<{
      ms: number;
      cpuMs: number;
      userMs: number;
      result: DeployResult;
      split: Map<string, number>;
    }> => {
      const manifest = new Map<string, string>();
      const objects = new Map<string, Buffer>();
      for (const [rel, bytes] of contents) {
        const hash = sha256Hex(bytes);
        manifest.set(rel, hash);
        if (!sent.has(hash)) objects.set(hash, bytes);
      }
      const tree = buildTree(manifest);
      for (const node of tree.trees.values()) if (!sent.has(node.hash)) objects.set(node.hash, node.bytes);
      const ifMatch =
        live === null ? ({ live: "nothing" } as const) : ({ live: "root", root: live } as const);
      steps.length = 0;
      const start = performance.now();
      const cpuStart = process.cpuUsage();
      if (profiling) await post("Profiler.start");
      const result = await service.deploy(bodyOf({ root: tree.root }, objects), { ifMatch, dryRun: false });
      if (profiling) {
        const { profile } = (await post("Profiler.stop")) as { profile: CpuProfile };
        lastProfile = join(profileDir ?? "", `${size}-${++profiled}.cpuprofile`);
        writeFileSync(lastProfile, JSON.stringify(profile));
      }
      const cpu = process.cpuUsage(cpuStart);
      const ms = performance.now() - start;
      for (const hash of objects.keys()) sent.add(hash);
      live = tree.root;
      const split = new Map<string, number>();
      let at = start;
      let from = "start";
      for (const [name, t] of steps) {
        split.set(`${from} → ${name}`, t - at);
        [from, at] = [name, t];
      }
      split.set(`${from} → end`, start + ms - at);
      return { ms, cpuMs: (cpu.user + cpu.system) / 1000, userMs: cpu.user / 1000, result, split };
    };
    let profiling = false;
    const first = await deploy();
    // let the collection scheduled after the first commit run before measuring
    await service.collectGarbage();
    const measured: Measured = {
      first: { totalMs: first.ms, validationMs: first.result.validation_ms, applyMs: first.result.apply_ms },
      total: [],
      apply: [],
      cpu: [],
      user: [],
      split: new Map(),
    };
    profiling = profileDir !== undefined;
    for (const rel of pickAgents(ws, runs + 1)) {
      editAgent(ws, rel);
      contents.set(rel, readFileSync(join(ws.dir, rel)));
      const { ms, cpuMs, userMs, result, split } = await deploy();
      measured.user.push(userMs);
      for (const [k, v] of split) measured.split.set(k, [...(measured.split.get(k) ?? []), v]);
      measured.total.push(ms);
      measured.cpu.push(cpuMs);
      measured.apply.push(result.apply_ms);
    }
    // the first edit warms the caches up
    measured.total.shift();
    measured.apply.shift();
    measured.cpu.shift();
    measured.user.shift();
    for (const v of measured.split.values()) v.shift();
    await store.close();
    return measured;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const profileDir = values.profile;
const session = new Session();
session.connect();
const post = (method: string, params: object = {}): Promise<unknown> =>
  new Promise((resolve, reject) =>
    session.post(method, params, (err: Error | null, result?: object) =>
      err ? reject(err) : resolve(result),
    ),
  );
if (profileDir) {
  mkdirSync(profileDir, { recursive: true });
  await post("Profiler.enable");
  await post("Profiler.setSamplingInterval", { interval: 100 });
}
let profiled = 0;
let lastProfile: string | undefined;

const sizes = (values.sizes ?? "M,XL").split(",") as SizeName[];
const runs = Number(values.runs);
const applyMedians = new Map<SizeName, number>();
for (const size of sizes) {
  const m = await measure(size, runs);
  const total = sampleStats(m.total);
  const apply = sampleStats(m.apply);
  const cpu = sampleStats(m.cpu);
  const user = sampleStats(m.user);
  if (!total || !apply || !cpu || !user) throw new Error(`bench: no runs for ${size}`);
  applyMedians.set(size, apply.median);
  if (values.first) {
    console.log(
      `${size}: first deploy ${m.first.totalMs.toFixed(0)} ms (validation ${m.first.validationMs} ms, apply ${m.first.applyMs} ms)`,
    );
  }
  console.log(
    `${size}: one-agent deploy, median ${total.median.toFixed(1)} ms (min ${total.min.toFixed(1)}, max ${total.max.toFixed(1)}); apply_ms median ${apply.median.toFixed(1)} (min ${apply.min.toFixed(1)}, max ${apply.max.toFixed(1)}); CPU median ${cpu.median.toFixed(1)} ms (user ${user.median.toFixed(1)}), n ${apply.n}`,
  );
  const parts = [...m.split].map(([k, v]) => `${k} ${(sampleStats(v)?.median ?? 0).toFixed(1)}`);
  console.log(`${size}: medians (ms) of ${parts.join(", ")}`);
  if (lastProfile) {
    const summary = summarizeCpuProfile(readCpuProfile(lastProfile), process.cwd(), null, 25);
    console.log(renderProfileSummary(`${size}: the last one-agent deploy call (${lastProfile})`, summary));
  }
}
const m = applyMedians.get("M");
const xl = applyMedians.get("XL");
if (m !== undefined && xl !== undefined) console.log(`apply XL / M: ${(xl / m).toFixed(2)}×`);
