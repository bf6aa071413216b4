/**
 * The file store's collection, carried from run to run (merkle/reachable-objects.ts), against a full mark
 * from scratch: over many deploys to two workspaces that share files, folders and whole trees (one redeploys
 * the other's roots, and old roots of its own), with unreferenced objects adopted now and then, after every
 * collection the store holds exactly the objects and laid-out folders the retained deployments of both
 * workspaces reach; a store reopened on the same data dir (a fresh, full mark) removes nothing more.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildTree } from "../../src/merkle/build-tree.js";
import { sha256Hex } from "../../src/merkle/sha256.js";
import { decodeTree } from "../../src/merkle/tree-object.js";
import { openFileStore, type FileStore } from "../../src/store/file-store.js";
import type { WorkspaceId } from "../../src/store/deployment-store.js";
import { cleanup, tempDir } from "../support/caxton-process.js";

const root = tempDir("caxton-gc-");
after(() => cleanup(root));

const POLICY = { keepDeployments: 3, graceMs: 0, lockTimeoutMs: 10_000 };

/** A small deterministic generator (the test must be reproducible). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    return a / 2 ** 32;
  };
}

/** Every object a tree object's bytes (by hash) and blob contents let us know of, by hash. */
const known = new Map<string, Buffer>();
const trees = new Set<string>();

function expectedReach(roots: Iterable<string>): Set<string> {
  const reached = new Set<string>();
  const walked = new Set<string>();
  const visit = (hash: string, kind: "blob" | "tree"): void => {
    reached.add(hash);
    if (kind !== "tree" || walked.has(hash)) return;
    walked.add(hash);
    for (const e of decodeTree(known.get(hash) as Buffer)) visit(e.hash, e.kind);
  };
  for (const r of roots) visit(r, "tree");
  return reached;
}

function heldObjects(data: string): Set<string> {
  const held = new Set<string>();
  for (const prefix of readdirSync(join(data, "objects"))) {
    for (const rest of readdirSync(join(data, "objects", prefix))) held.add(prefix + rest);
  }
  return held;
}

let txCount = 0;
/** Writes what the store lacks into a transaction folder, read-only, as a received pack leaves it. */
async function stage(store: FileStore, hashes: Iterable<string>): Promise<Map<string, string>> {
  const dir = join(store.tempDir, `tx-${++txCount}`);
  mkdirSync(dir, { recursive: true });
  const files = new Map<string, string>();
  for (const hash of hashes) {
    if (files.has(hash) || (await store.objects.has(hash))) continue;
    const file = join(dir, hash);
    writeFileSync(file, known.get(hash) as Buffer);
    chmodSync(file, 0o444);
    files.set(hash, file);
  }
  return files;
}

async function deploy(store: FileStore, workspace: WorkspaceId, manifest: Map<string, string>) {
  const tree = buildTree(manifest);
  for (const node of tree.trees.values()) {
    known.set(node.hash, node.bytes);
    trees.add(node.hash);
  }
  const view = store.workspace(workspace);
  const newObjects = await stage(store, [
    ...manifest.values(),
    ...[...tree.trees.values()].map((n) => n.hash),
  ]);
  await view.withDeployLock(10_000, async (tx) => {
    const head = await tx.head();
    return tx.commit({
      txid: `t${txCount}`,
      root: tree.root,
      manifest,
      newObjects,
      parentId: head?.id ?? null,
      kind: "deploy",
      counts: { added: 0, modified: 0, deleted: 0 },
      deployedBy: null,
      meta: null,
    });
  });
  return tree.root;
}

async function retainedRoots(store: FileStore): Promise<string[]> {
  const roots: string[] = [];
  for (const id of await store.workspaces()) {
    for (const row of await store.workspace(id).committed(Number.MAX_SAFE_INTEGER)) roots.push(row.root);
  }
  return roots;
}

async function assertHoldsExactlyTheRetained(store: FileStore, data: string): Promise<void> {
  const reach = expectedReach(await retainedRoots(store));
  assert.deepEqual(heldObjects(data), reach, "objects: exactly what the retained deployments reach");
  const laidOut = new Set(readdirSync(join(data, "trees")));
  assert.deepEqual(laidOut, new Set([...reach].filter((h) => trees.has(h))), "laid-out folders likewise");
}

test("collection from run to run keeps exactly what a full mark keeps, across workspaces", async () => {
  const data = join(root, "data");
  let store = openFileStore(data);
  const next = random(7);
  const blob = (text: string): string => {
    const bytes = Buffer.from(text);
    const hash = sha256Hex(bytes);
    known.set(hash, bytes);
    return hash;
  };
  const manifest = new Map<string, string>();
  for (let i = 0; i < 40; i++) manifest.set(`agents/a${i % 8}/f${i}.toml`, blob(`file ${i}`));
  const oldRoots: string[] = [];
  for (let n = 0; n < 40; n++) {
    // edit, add or delete a file or two; now and then make a folder's content repeat under another name
    const i = Math.floor(next() * 48);
    const path = `agents/a${i % 8}/f${i}.toml`;
    if (next() < 0.2) manifest.delete(path);
    else manifest.set(path, blob(`file ${i} revision ${Math.floor(next() * 4)}`));
    if (next() < 0.15) manifest.set(`copies/c${n % 3}/f.toml`, manifest.get(path) ?? blob("again"));
    oldRoots.push(await deploy(store, "default", new Map(manifest)));
    if (next() < 0.4) {
      // the other workspace redeploys one of default's roots (retained or not), or one of its own again
      const pick = oldRoots[Math.floor(next() * oldRoots.length)] as string;
      const files = expectedManifest(pick);
      if (next() < 0.5) files.set("other/own.toml", blob(`own ${Math.floor(next() * 3)}`));
      await deploy(store, "other", files);
    }
    if (next() < 0.2) await store.objects.adopt(await stage(store, [blob(`stray ${n}`)]));
    await store.collectGarbage(POLICY);
    await assertHoldsExactlyTheRetained(store, data);
  }
  await store.close();
  store = openFileStore(data);
  const report = await store.collectGarbage(POLICY);
  assert.equal(report.removedObjects, 0, "a full mark finds nothing the carried one missed");
  await assertHoldsExactlyTheRetained(store, data);
  assert.ok(existsSync(join(data, "current")));
  await store.close();
});

/** A root's manifest, from the tree objects this test built. */
function expectedManifest(rootHash: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (hash: string, prefix: string): void => {
    for (const e of decodeTree(known.get(hash) as Buffer)) {
      if (e.kind === "tree") walk(e.hash, `${prefix}${e.name}/`);
      else files.set(`${prefix}${e.name}`, e.hash);
    }
  };
  walk(rootHash, "");
  return files;
}
