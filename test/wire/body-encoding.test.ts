/**
 * Content-Encoding on the real server, with requests crafted by hand: zstd bodies in both directions, plain
 * bodies still accepted (curl), unknown encodings refused with 415, decompression bombs refused with 413, and
 * delta frames the server cannot use. After every refusal `current` is unchanged and no temp files remain.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { zstdCompressSync } from "../../src/compression/zstd-compress.js";
import { createDelta } from "../../src/delta/delta-codec.js";
import { buildTree } from "../../src/merkle/build-tree.js";
import { sha256Hex } from "../../src/merkle/sha256.js";
import { encodeNegotiate } from "../../src/protocol/negotiate-body.js";
import {
  encodeDeltaHead,
  encodeObjectHead,
  encodePackEnd,
  encodePackStart,
} from "../../src/protocol/pack-encoder.js";
import { NEGOTIATE_CONTENT_TYPE, PACK_CONTENT_TYPE } from "../../src/protocol/pack-format.js";
import { cleanup, startServe, tempDir, type ServeProcess } from "../support/caxton-process.js";
import { snapshot } from "../support/tree-snapshot.js";
import { rawRequest, textLike } from "./wire-helpers.js";
import { zeroBomb } from "../support/zero-bomb.js";

const MiB = 1024 * 1024;
const MAX_BODY = 32 * MiB;

type Frame = { hash: string; bytes: Buffer } | { hash: string; base: string; size: number; delta: Buffer };

function pack(root: string, frames: Frame[]): Buffer {
  const parts = [encodePackStart({ root })];
  for (const f of frames) {
    if ("delta" in f) parts.push(encodeDeltaHead(f.hash, f.base, f.size, f.delta.length), f.delta);
    else parts.push(encodeObjectHead(f.hash, f.bytes.length), f.bytes);
  }
  parts.push(encodePackEnd());
  return Buffer.concat(parts);
}

/** A workspace's objects: its blobs and trees, as whole frames. */
function workspace(files: Record<string, Buffer>): { root: string; frames: Frame[] } {
  const manifest = new Map<string, string>();
  const frames: Frame[] = [];
  for (const [path, bytes] of Object.entries(files)) {
    manifest.set(path, sha256Hex(bytes));
    frames.push({ hash: sha256Hex(bytes), bytes });
  }
  const tree = buildTree(manifest);
  for (const node of tree.trees.values()) frames.push({ hash: node.hash, bytes: node.bytes });
  return { root: tree.root, frames };
}

describe("body encodings", () => {
  let root: string;
  let server: ServeProcess;
  let live: Map<string, string>;
  const base = textLike(64 * 1024, 3);
  const first = workspace({ "config/a.toml": Buffer.from('name = "a"\n'), "data.txt": base });

  const deploy = (body: Buffer, headers: Record<string, string> = {}) =>
    rawRequest(`${server.url}/api/v1/deployments`, "POST", body, {
      "Content-Type": PACK_CONTENT_TYPE,
      ...headers,
    });
  const unchanged = (): void => {
    assert.deepEqual(snapshot(join(root, "data", "current")), live);
    assert.deepEqual(readdirSync(join(root, "data", "tmp")), [], "no temp leftovers");
  };

  // the bombs are built before any request: compressing 1 GiB of zeros on a loaded machine can outlast the
  // server's keep-alive timeout, and a request racing that close is a test artefact, not the server's answer
  let packBomb: Buffer;
  let negotiateBomb: Buffer;
  before(async () => {
    packBomb = await zeroBomb(
      Buffer.concat([encodePackStart({ root: first.root }), encodeObjectHead("ab".repeat(32), 1024 * MiB)]),
      1024,
    );
    negotiateBomb = await zeroBomb(Buffer.alloc(0), 256);
    root = tempDir("caxton-wire-");
    server = await startServe({ dataDir: join(root, "data"), args: ["--max-body-bytes", String(MAX_BODY)] });
  });
  after(async () => {
    await server.stop();
    cleanup(root);
  });

  test("a zstd pack is accepted and the answer is zstd when the client accepts it", async () => {
    const body = zstdCompressSync(pack(first.root, first.frames));
    const r = await deploy(body, { "Content-Encoding": "zstd", "Accept-Encoding": "zstd" });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    assert.equal(r.headers.get("content-encoding"), "zstd");
    assert.equal(r.json.deployed_checksum, first.root);
    live = snapshot(join(root, "data", "current"));
  });

  test("plain bodies and answers still work (curl without --compressed)", async () => {
    const r = await rawRequest(`${server.url}/api/v1/deployment`, "GET", null, {});
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("content-encoding"), null);
    const again = await deploy(pack(first.root, []));
    assert.equal(again.status, 200, JSON.stringify(again.json));
    assert.equal(again.json.up_to_date, true);
  });

  test("error bodies are zstd too when accepted", async () => {
    const r = await rawRequest(`${server.url}/api/v1/nowhere`, "GET", null, { "Accept-Encoding": "zstd" });
    assert.equal(r.status, 404);
    assert.equal(r.headers.get("content-encoding"), "zstd");
    assert.equal(r.json.error?.code, "E_NOT_FOUND");
  });

  test("an unknown Content-Encoding gets 415 and nothing is applied", async () => {
    const next = workspace({ "config/a.toml": Buffer.from('name = "b"\n') });
    for (const encoding of ["gzip", "br", "zstd, gzip"]) {
      const r = await deploy(pack(next.root, next.frames), { "Content-Encoding": encoding });
      assert.equal(r.status, 415, `${encoding}: ${JSON.stringify(r.json)}`);
      assert.equal(r.json.error?.code, "E_UNSUPPORTED");
      assert.match(r.json.error?.message ?? "", /Content-Encoding/);
    }
    unchanged();
  });

  test("a zstd bomb in a pack gets 413 naming the limit, and nothing is applied", async (t) => {
    // a pack whose one object claims 1 GiB of zeros: about 32 KB on the wire
    const bomb = packBomb;
    t.diagnostic(`bomb: ${bomb.length} B expanding to 1 GiB, limit ${MAX_BODY} B`);
    assert.ok(bomb.length < 100_000);
    const r = await deploy(bomb, { "Content-Encoding": "zstd" });
    assert.equal(r.status, 413, JSON.stringify(r.json));
    assert.equal(r.json.error?.code, "E_TOO_LARGE");
    assert.match(r.json.error?.message ?? "", new RegExp(`limit of ${MAX_BODY} bytes`));
    unchanged();
  });

  test("a zstd bomb as a negotiation body gets 413", async () => {
    const bomb = negotiateBomb;
    const r = await rawRequest(`${server.url}/api/v1/negotiate`, "POST", bomb, {
      "Content-Type": NEGOTIATE_CONTENT_TYPE,
      "Content-Encoding": "zstd",
    });
    assert.equal(r.status, 413, JSON.stringify(r.json));
    assert.equal(r.json.error?.code, "E_TOO_LARGE");
  });

  test("a zstd negotiation body is decoded", async () => {
    const body = zstdCompressSync(encodeNegotiate({ root: first.root }, [first.root]));
    const r = await rawRequest(`${server.url}/api/v1/negotiate`, "POST", body, {
      "Content-Type": NEGOTIATE_CONTENT_TYPE,
      "Content-Encoding": "zstd",
    });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.up_to_date, true);
  });

  test("a delta against a base the server lacks: 409 names the object, and whole content then works", async () => {
    const target = Buffer.concat([base, Buffer.from("appended line\n")]);
    const next = workspace({ "config/a.toml": Buffer.from('name = "a"\n'), "data.txt": target });
    const missingBase = sha256Hex(Buffer.from("content the server never saw"));
    const delta = createDelta(base, target);
    const frames = next.frames.map((f) =>
      "bytes" in f && f.hash === sha256Hex(target)
        ? { hash: f.hash, base: missingBase, size: target.length, delta }
        : f,
    );
    const r = await deploy(pack(next.root, frames));
    assert.equal(r.status, 409, JSON.stringify(r.json));
    assert.equal(r.json.error?.code, "E_MISSING_OBJECTS");
    assert.deepEqual(r.json.error?.detail?.missing, [sha256Hex(target)]);
    assert.deepEqual(r.json.error?.detail?.unapplied_deltas, [
      { object: sha256Hex(target), base: missingBase, reason: "base-missing" },
    ]);
    unchanged();
    // the other objects were kept: the retry carries the one object, whole
    const retry = await deploy(pack(next.root, [{ hash: sha256Hex(target), bytes: target }]));
    assert.equal(retry.status, 201, JSON.stringify(retry.json));
    live = snapshot(join(root, "data", "current"));
  });

  test("a delta against the right base is rebuilt and verified", async () => {
    const current = Buffer.concat([base, Buffer.from("appended line\n")]);
    const target = Buffer.from(current.toString("latin1").replace("\n100 ", "\n100 edited "), "latin1");
    const next = workspace({ "config/a.toml": Buffer.from('name = "a"\n'), "data.txt": target });
    const delta = createDelta(current, target);
    const frames = next.frames.map((f) =>
      "bytes" in f && f.hash === sha256Hex(target)
        ? { hash: f.hash, base: sha256Hex(current), size: target.length, delta }
        : f,
    );
    const r = await deploy(zstdCompressSync(pack(next.root, frames)), { "Content-Encoding": "zstd" });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    assert.deepEqual(r.json.modified, ["data.txt"]);
    live = snapshot(join(root, "data", "current"));
    assert.equal(live.get("data.txt"), target.toString("base64"));
  });

  test("a delta made from other content than the server's base gets 422 marked as a delta failure", async () => {
    const serverBase = Buffer.from(live.get("data.txt") ?? "", "base64");
    const target = Buffer.concat([serverBase, Buffer.from("one more line\n")]);
    const next = workspace({ "config/a.toml": Buffer.from('name = "a"\n'), "data.txt": target });
    const wrongBase = textLike(serverBase.length, 99); // same size, other bytes, named as the server's base
    const delta = createDelta(wrongBase, target);
    const frames = next.frames.map((f) =>
      "bytes" in f && f.hash === sha256Hex(target)
        ? { hash: f.hash, base: sha256Hex(serverBase), size: target.length, delta }
        : f,
    );
    const r = await deploy(pack(next.root, frames));
    assert.ok(r.status === 422 || r.status === 400, `${r.status} ${JSON.stringify(r.json)}`);
    assert.equal(r.json.error?.detail?.delta, true);
    assert.equal(r.json.error?.detail?.object, sha256Hex(target));
    unchanged();
  });
});
