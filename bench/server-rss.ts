/**
 * The server's memory over many deployments: a real `caxton serve` takes one first deploy of the bench's
 * workspace, then `--deploys` one-agent changes, each a real HTTP deploy (`POST /api/v1/deployments` with
 * `If-Match`), and its resident set (VmRSS from /proc) is sampled after chosen deploys. The bench process
 * plays the client without spawning the CLI: it keeps the workspace in memory, rebuilds the Merkle tree
 * after each edit and sends the changed blob and the tree objects the server has not seen, so 200 deploys
 * at XL take minutes, not the CLI's seconds each. Retention and collection run as configured by default.
 *
 * RSS is read after every deploy, and each sample also says the lowest and highest RSS since the previous
 * sample: V8 lets its heap fill with garbage up to a multiple of what is live before a full collection,
 * so one reading lands anywhere on that sawtooth (at XL, 430 to 650 MB), and only the range compares.
 *
 *   node dist/bench/server-rss.js [--size XL] [--deploys 200] [--samples 20,50,100,200] [--node-flags "..."]
 *                                 [--heap-snapshots DIR] [--caxton PATH]
 *
 * `--caxton PATH` runs another build's executable as the server (before/after comparisons).
 *
 * `--heap-snapshots DIR` also writes a V8 heap snapshot of the server into DIR at each sample (after reading
 * its RSS; the server takes it on SIGUSR2), to load in Chrome DevTools and compare.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { request } from "node:http";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildTree } from "../src/merkle/build-tree.js";
import { sha256Hex } from "../src/merkle/sha256.js";
import { encodeObjectHead, encodePackEnd, encodePackStart } from "../src/protocol/pack-encoder.js";
import { startServe } from "../support/caxton-serve.js";
import { generateWorkspace, SIZES, type SizeName } from "./generate-workspace.js";
import { pickAgents } from "./mutate-workspace.js";
import { workspaceContents } from "./workspace-contents.js";

/** VmRSS and VmHWM of a process, in MB. */
function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string): number =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
  return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
}

/** The V8 heap in use, the V8 heap reserved, and external memory (Buffers), from the server's /metrics, in MB. */
async function heapOf(url: string): Promise<{ heap: number; total: number; external: number }> {
  const { text } = await call(`${url}/metrics`, "GET", {});
  const metric = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? 0);
  const mb = 1024 * 1024;
  return {
    heap: metric("nodejs_heap_size_used_bytes") / mb,
    total: metric("nodejs_heap_size_total_bytes") / mb,
    external: metric("nodejs_external_memory_bytes") / mb,
  };
}

/**
 * One request on a connection of its own (`agent: false`): with a kept-alive socket, the server may close it
 * idle while the next deploy's tree is being rebuilt here, and the next request would meet a reset.
 */
function call(url: string, method: string, headers: Record<string, string>, body?: Buffer) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(url, { method, agent: false, headers });
    req.on("error", reject);
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("error", reject);
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.end(body);
  });
}

async function deploy(url: string, header: object, ifMatch: string | null, objects: Map<string, Buffer>) {
  const parts: Buffer[] = [encodePackStart(header)];
  for (const [hash, bytes] of objects) parts.push(encodeObjectHead(hash, bytes.length), bytes);
  parts.push(encodePackEnd());
  const body = Buffer.concat(parts);
  const res = await call(
    `${url}/api/v1/deployments`,
    "POST",
    {
      "Content-Type": "application/vnd.caxton.pack",
      "Content-Length": String(body.length),
      ...(ifMatch ? { "If-Match": `"${ifMatch}"` } : { "If-None-Match": "*" }),
    },
    body,
  );
  if (res.status !== 201) throw new Error(`bench: deploy answered ${res.status}: ${res.text.slice(0, 500)}`);
}

const { values } = parseArgs({
  options: {
    size: { type: "string", default: "XL" },
    deploys: { type: "string", default: "200" },
    samples: { type: "string", default: "20,50,100,200" },
    "node-flags": { type: "string", default: "" },
    "heap-snapshots": { type: "string" },
    caxton: { type: "string" },
  },
});
const snapshots = values["heap-snapshots"];
const size = values.size as SizeName;
if (!(size in SIZES)) throw new Error(`bench: unknown size ${size}`);
const deploys = Number(values.deploys);
const samples = new Set((values.samples ?? "").split(",").map(Number));
const nodeFlags = (values["node-flags"] ?? "").split(" ").filter(Boolean);
if (snapshots) mkdirSync(snapshots, { recursive: true });
if (snapshots) nodeFlags.push("--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${snapshots}`);

/** Asks the server for a heap snapshot and waits until its file is written whole. */
async function heapSnapshot(pid: number, url: string, dir: string): Promise<void> {
  const before = new Set(readdirSync(dir));
  process.kill(pid, "SIGUSR2");
  for (let waited = 0; waited < 300_000; waited += 200) {
    await new Promise((r) => setTimeout(r, 200));
    const file = readdirSync(dir).find((f) => !before.has(f) && f.endsWith(".heapsnapshot"));
    // the server writes it on its main thread: once it answers a request again, the file is complete
    if (file && (await call(`${url}/health`, "GET", {})).status === 200) return;
  }
  throw new Error("bench: the server wrote no heap snapshot within 5 minutes");
}

const root = mkdtempSync(join(tmpdir(), "caxton-server-rss-"));
try {
  const ws = generateWorkspace(join(root, "ws"), SIZES[size]);
  const contents = workspaceContents(ws.dir);
  const manifest = new Map<string, string>();
  const blobs = new Map<string, Buffer>();
  for (const [rel, bytes] of contents) {
    const hash = sha256Hex(bytes);
    manifest.set(rel, hash);
    blobs.set(hash, bytes);
  }
  const server = await startServe({
    dataDir: join(root, "data"),
    quiet: true,
    nodeFlags,
    ...(values.caxton ? { caxton: values.caxton } : {}),
  });
  try {
    let tree = buildTree(manifest);
    const sent = new Set<string>(blobs.keys());
    const first = new Map(blobs);
    for (const node of tree.trees.values()) {
      first.set(node.hash, node.bytes);
      sent.add(node.hash);
    }
    await deploy(server.url, { root: tree.root }, null, first);
    const after = memoryOf(server.pid);
    const heap = await heapOf(server.url);
    console.log(
      `${size}: ${contents.size} files; after the first deploy RSS ${after.rss.toFixed(0)} MB, V8 heap used ${heap.heap.toFixed(0)} MB, external ${heap.external.toFixed(0)} MB`,
    );
    // the agents edited in turn, each with a new description every time: every deploy changes one blob
    const agents = pickAgents(ws, Math.min(ws.agents.length, 50));
    const started = performance.now();
    let range = { low: Infinity, high: 0 };
    for (let n = 1; n <= deploys; n++) {
      const rel = agents[n % agents.length] as string;
      const text = (contents.get(rel) as Buffer).toString("utf8");
      const edited = Buffer.from(
        text.replace(/^description = ".*"$/m, `description = "server-rss revision ${n}"`),
      );
      const hash = sha256Hex(edited);
      contents.set(rel, edited);
      manifest.set(rel, hash);
      const base = tree.root;
      tree = buildTree(manifest);
      const objects = new Map<string, Buffer>([[hash, edited]]);
      for (const node of tree.trees.values()) {
        if (!sent.has(node.hash)) objects.set(node.hash, node.bytes);
      }
      for (const h of objects.keys()) sent.add(h);
      await deploy(server.url, { root: tree.root, base }, base, objects);
      const m = memoryOf(server.pid);
      range = { low: Math.min(range.low, m.rss), high: Math.max(range.high, m.rss) };
      if (samples.has(n)) {
        const h = await heapOf(server.url);
        const s = ((performance.now() - started) / 1000).toFixed(0);
        console.log(
          `after ${n} deploys: RSS ${m.rss.toFixed(0)} MB (${range.low.toFixed(0)}–${range.high.toFixed(0)} since the last sample, peak ${m.hwm.toFixed(0)} MB), V8 heap used ${h.heap.toFixed(0)} of ${h.total.toFixed(0)} MB, external ${h.external.toFixed(0)} MB, ${s} s`,
        );
        range = { low: Infinity, high: 0 };
        if (snapshots) await heapSnapshot(server.pid, server.url, snapshots);
      }
    }
  } finally {
    await server.stop();
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
