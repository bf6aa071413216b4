/**
 * The server trusts nothing: requests crafted by hand (not by our client) with wrong content, broken
 * configuration or a stale base are refused, and `current` stays byte-identical. Against both stores.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { buildTree } from "../../src/merkle/build-tree.js";
import { sha256Hex } from "../../src/merkle/sha256.js";
import { encodeObjectHead, encodePackEnd, encodePackStart } from "../../src/protocol/pack-encoder.js";
import { PACK_CONTENT_TYPE } from "../../src/protocol/pack-format.js";
import { cleanup, startServe, tempDir, type ServeProcess } from "../support/caxton-process.js";
import { snapshot } from "../support/tree-snapshot.js";
import { serverEnv, STORE_BACKENDS, stopBackends } from "../support/store-backends.js";

function pack(root: string, objects: [string, Buffer][]): Buffer {
  const parts = [encodePackStart({ root })];
  for (const [hash, bytes] of objects) parts.push(encodeObjectHead(hash, bytes.length), bytes);
  parts.push(encodePackEnd());
  return Buffer.concat(parts);
}

function workspace(files: Record<string, string>): { root: string; objects: [string, Buffer][] } {
  const manifest = new Map<string, string>();
  const objects: [string, Buffer][] = [];
  for (const [path, text] of Object.entries(files)) {
    const bytes = Buffer.from(text);
    const hash = sha256Hex(bytes);
    manifest.set(path, hash);
    objects.push([hash, bytes]);
  }
  const tree = buildTree(manifest);
  for (const node of tree.trees.values()) objects.push([node.hash, node.bytes]);
  return { root: tree.root, objects };
}

interface ErrorJson {
  error: { code: string; detail: { missing: string[]; errors: { path: string; line: number }[] } };
}

async function post(server: ServeProcess, body: Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/api/v1/deployments`, {
    method: "POST",
    headers: { "Content-Type": PACK_CONTENT_TYPE, ...headers },
    body,
  });
  return { status: res.status, body: (await res.json()) as ErrorJson };
}

after(() => stopBackends());

for (const backend of STORE_BACKENDS) {
  describe(`server integrity (${backend} store)`, () => {
    let root: string;
    let server: ServeProcess;
    let live: Map<string, string>;
    before(async () => {
      root = tempDir();
      server = await startServe({ dataDir: join(root, "data"), env: await serverEnv(backend) });
      const ws = workspace({ "config/a.toml": 'name = "a"\n', "readme.md": "hi\n" });
      const r = await post(server, pack(ws.root, ws.objects));
      assert.equal(r.status, 201, JSON.stringify(r.body, null, 1));
      live = snapshot(join(root, "data", "current"));
    });
    after(async () => {
      await server.stop();
      cleanup(root);
    });
    const unchanged = (): void => {
      assert.deepEqual(snapshot(join(root, "data", "current")), live);
      assert.deepEqual(readdirSync(join(root, "data", "tmp")), [], "no temp leftovers");
    };

    test("an object whose bytes do not match its checksum is refused", async () => {
      const ws = workspace({ "config/a.toml": 'name = "a"\n', "x.txt": "real\n" });
      const tampered = ws.objects.map(([h, b]): [string, Buffer] => [
        h,
        b.toString() === "real\n" ? Buffer.from("fake\n") : b,
      ]);
      const r = await post(server, pack(ws.root, tampered));
      assert.equal(r.status, 422);
      assert.equal(r.body.error.code, "E_CHECKSUM_MISMATCH");
      unchanged();
    });

    test("a tree that references objects nobody sent gets 409 with the missing list", async () => {
      const ws = workspace({ "config/a.toml": 'name = "a"\n', "y.txt": "never sent\n" });
      const withoutBlob = ws.objects.filter(([, b]) => b.toString() !== "never sent\n");
      const r = await post(server, pack(ws.root, withoutBlob));
      assert.equal(r.status, 409);
      assert.equal(r.body.error.code, "E_MISSING_OBJECTS");
      assert.deepEqual(r.body.error.detail.missing, [sha256Hex(Buffer.from("never sent\n"))]);
      unchanged();
    });

    test("the server validates even when the client did not: broken TOML gives 422 with positions", async () => {
      const ws = workspace({ "config/a.toml": 'name = "a"\n', "config/bad.toml": "x = [1,\n" });
      const r = await post(server, pack(ws.root, ws.objects));
      assert.equal(r.status, 422);
      assert.equal(r.body.error.code, "E_VALIDATION");
      const [first] = r.body.error.detail.errors;
      assert.ok(first);
      assert.equal(first.path, "config/bad.toml");
      assert.equal(typeof first.line, "number");
      unchanged();
    });

    test("a stale If-Match base gets 412 before anything is applied", async () => {
      const ws = workspace({ "z.txt": "z\n" });
      const r = await post(server, pack(ws.root, ws.objects), { "If-Match": `"${"0".repeat(64)}"` });
      assert.equal(r.status, 412);
      assert.equal(r.body.error.code, "E_BASE_MISMATCH");
      unchanged();
    });

    test("malformed packs and unknown endpoints get a 4xx JSON error", async () => {
      for (const body of [
        Buffer.from("garbage"),
        Buffer.alloc(0),
        pack("0".repeat(64), []).subarray(0, 20),
      ]) {
        const r = await post(server, body);
        assert.ok(r.status >= 400 && r.status < 500, `status ${r.status}`);
        assert.equal(typeof r.body.error.code, "string");
      }
      const nf = await fetch(`${server.url}/api/v1/nope`);
      assert.equal(nf.status, 404);
      const health = await fetch(`${server.url}/health`);
      assert.equal(health.status, 200);
      unchanged();
    });
  });
}
