/**
 * The server's commit of a one-agent change, measured on the file store alone (no HTTP, no client): the part
 * of "server apply" that lays the deployment out. Generates the bench's workspace for each size, commits it
 * once, then commits `--runs` one-agent edits and prints the median time of `commit` per size.
 *
 *   node dist/bench/store-apply.js [--sizes M,XL] [--runs 5]
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildTree } from "../src/merkle/build-tree.js";
import { sha256Hex } from "../src/merkle/sha256.js";
import { openFileStore } from "../src/store/file-store.js";
import type { CommitInput } from "../src/store/deployment-store.js";
import { generateWorkspace, SIZES, type SizeName } from "./generate-workspace.js";
import { editAgent, pickAgents } from "./mutate-workspace.js";
import { sampleStats } from "./sample-stats.js";
import { workspaceContents } from "./workspace-contents.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

async function measure(size: SizeName, runs: number): Promise<number[]> {
  const root = mkdtempSync(join(tmpdir(), "caxton-store-apply-"));
  try {
    const ws = generateWorkspace(join(root, "ws"), SIZES[size]);
    const store = openFileStore(join(root, "data"));
    const workspace = store.workspace("default");
    const contents = workspaceContents(ws.dir);
    let held = new Set<string>();
    let parentId: number | null = null;
    let pack = 0;
    const commit = async (): Promise<number> => {
      const manifest = new Map<string, string>();
      const objects = new Map<string, Buffer>();
      for (const [rel, bytes] of contents) {
        const hash = sha256Hex(bytes);
        manifest.set(rel, hash);
        if (!held.has(hash)) objects.set(hash, bytes);
      }
      const tree = buildTree(manifest);
      for (const node of tree.trees.values()) if (!held.has(node.hash)) objects.set(node.hash, node.bytes);
      const dir = join(root, "data", "tmp", `pack-${++pack}`);
      mkdirSync(dir, { recursive: true });
      const newObjects = new Map<string, string>();
      for (const [hash, bytes] of objects) {
        const file = join(dir, hash);
        writeFileSync(file, bytes);
        chmodSync(file, 0o444);
        newObjects.set(hash, file);
      }
      const input: CommitInput = {
        txid: `bench-${pack}`,
        root: tree.root,
        manifest,
        newObjects,
        parentId,
        kind: "deploy",
        counts: { added: 0, modified: 1, deleted: 0 },
        deployedBy: null,
        meta: null,
      };
      const start = performance.now();
      const { id } = await workspace.withDeployLock(60_000, (tx) => tx.commit(input));
      const ms = performance.now() - start;
      rmSync(dir, { recursive: true, force: true });
      parentId = id;
      held = new Set([...held, ...objects.keys()]);
      return ms;
    };
    await commit();
    const agents = pickAgents(ws, runs);
    const times: number[] = [];
    for (const rel of agents) {
      editAgent(ws, rel);
      contents.set(rel, readFileSync(join(ws.dir, rel)));
      times.push(await commit());
    }
    await store.close();
    return times;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const sizes = arg("--sizes", "M,XL").split(",") as SizeName[];
const runs = Number(arg("--runs", "5"));
const medians = new Map<SizeName, number>();
for (const size of sizes) {
  const times = await measure(size, runs);
  const stats = sampleStats(times);
  if (!stats) throw new Error(`bench: no runs for ${size}`);
  medians.set(size, stats.median);
  console.log(
    `${size}: commit of a one-agent change, median ${stats.median.toFixed(1)} ms (min ${stats.min.toFixed(1)}, max ${stats.max.toFixed(1)}, n ${stats.n})`,
  );
}
const m = medians.get("M");
const xl = medians.get("XL");
if (m !== undefined && xl !== undefined) console.log(`XL / M: ${(xl / m).toFixed(2)}×`);
