/**
 * Binary deltas end to end, on the real server and CLI: a one-line edit in a 1 MB file travels as a delta of
 * a few KB, the server's copy is byte-identical, and every way the base can be unusable (damaged in the local
 * cache, missing on the server, a delta no smaller than the file) falls back to whole content.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, runCli, tempDir, type ServeProcess } from "../support/caxton-process.js";
import { deployJson, freePort, incompressible, startServerAt, textLike } from "./wire-helpers.js";
import { sha256Hex } from "../../src/merkle/sha256.js";

const BIG = "catalog.txt";

describe("binary deltas", () => {
  let root: string;
  let ws: string;
  let state: string;
  let port: number;
  let server: ServeProcess;
  const current = (): Buffer => readFileSync(join(server.dataDir, "current", BIG));
  const local = (): Buffer => readFileSync(join(ws, BIG));
  const blobs = (): string[] => readdirSync(join(state, "blobs")).filter((n) => !n.startsWith("."));
  const edit = (transform: (text: string) => string): void =>
    writeFileSync(join(ws, BIG), transform(local().toString("latin1")), "latin1");

  before(async () => {
    root = tempDir("caxton-wire-");
    ws = join(root, "ws");
    state = join(root, "state");
    assert.equal((await runCli(["init", ws])).code, 0);
    writeFileSync(join(ws, BIG), textLike(1024 * 1024, 7));
    port = await freePort();
    server = await startServerAt(join(root, "data-1"), port);
  });
  after(async () => {
    await server.stop();
    cleanup(root);
  });

  test("the first deploy sends the file whole and keeps it as a future base", async () => {
    const out = await deployJson(ws, server.url, state);
    const file = out.files.find((f) => f.path === BIG);
    assert.equal(file?.sent, "whole");
    assert.equal(file?.bytes, 1024 * 1024);
    // compressed on the wire: text-like content is far smaller than its 1 MiB
    assert.ok((out.bytes_sent as number) < 700 * 1024, `bytes_sent ${String(out.bytes_sent)}`);
    assert.ok(blobs().includes(sha256Hex(local())), "the 1 MiB file is in the blob cache");
    assert.ok(current().equals(local()));
  });

  test("a one-line edit in a 1 MB file travels as a delta of a few KB", async (t) => {
    edit((text) => text.replace(/\n5000 [^\n]*\n/, '\n5000 edited = "one line changed here"\n'));
    const out = await deployJson(ws, server.url, state);
    t.diagnostic(
      `one-line edit in 1 MiB: bytes_sent ${String(out.bytes_sent)}, bytes_received ${String(out.bytes_received)}, ` +
        `delta ${out.files[0]?.bytes} B, round trips ${String(out.round_trips)}`,
    );
    assert.deepEqual(
      out.files.map((f) => [f.path, f.operation, f.sent]),
      [[BIG, "modified", "delta"]],
    );
    assert.ok((out.files[0]?.bytes ?? Infinity) < 5_000, `delta of ${out.files[0]?.bytes} B`);
    assert.ok((out.bytes_sent as number) < 20_000, `bytes_sent ${String(out.bytes_sent)}`);
    assert.equal(out.round_trips, 1);
    assert.ok(current().equals(local()), "the server rebuilt the file byte for byte");
  });

  test("a damaged base in the local cache is detected: the file goes whole, same round trip", async () => {
    const baseHash = sha256Hex(local());
    const cached = join(state, "blobs", baseHash);
    const damaged = readFileSync(cached);
    damaged[1000] = damaged[1000]! ^ 0xff;
    writeFileSync(cached, damaged);
    edit((text) => text.replace(/\n7000 [^\n]*\n/, '\n7000 edited = "another line"\n'));
    const out = await deployJson(ws, server.url, state);
    assert.equal(out.files[0]?.sent, "whole");
    assert.equal(out.round_trips, 1);
    assert.ok(current().equals(local()));
  });

  test("a base damaged on the server: the delta is refused (422) and the objects go again whole", async () => {
    const baseHash = sha256Hex(local());
    const stored = join(server.dataDir, "objects", baseHash.slice(0, 2), baseHash.slice(2));
    chmodSync(stored, 0o644);
    const damaged = readFileSync(stored);
    damaged[2000] = damaged[2000]! ^ 0xff;
    writeFileSync(stored, damaged);
    edit((text) => text.replace(/\n9000 [^\n]*\n/, '\n9000 edited = "base damaged on the server"\n'));
    const out = await deployJson(ws, server.url, state);
    assert.equal(out.files[0]?.sent, "whole");
    assert.equal(out.round_trips, 2, "the delta upload, then the same objects whole");
    assert.ok(current().equals(local()));
  });

  test("content a delta cannot shrink (an incompressible rewrite) goes whole", async () => {
    writeFileSync(join(ws, BIG), incompressible(512 * 1024));
    const out = await deployJson(ws, server.url, state);
    assert.equal(out.files[0]?.sent, "whole");
    assert.ok(current().equals(local()));
  });

  test("a server that lacks the base (re-installed at the same address): whole content, within 3 round trips", async (t) => {
    writeFileSync(join(ws, BIG), textLike(1024 * 1024, 11));
    await deployJson(ws, server.url, state); // the cache now holds this content as the base
    await server.stop();
    server = await startServerAt(join(root, "data-2"), port); // empty data dir, same URL
    edit((text) => text.replace(/\n100 [^\n]*\n/, '\n100 edited = "after the reinstall"\n'));
    const out = await deployJson(ws, server.url, state);
    t.diagnostic(`round trips ${String(out.round_trips)}, bytes_sent ${String(out.bytes_sent)}`);
    const file = out.files.find((f) => f.path === BIG);
    assert.equal(file?.sent, "whole");
    // 412 (the base moved), negotiate (which also asks about the delta's base: missing), upload whole
    assert.equal(out.round_trips, 3);
    assert.ok(current().equals(local()));
  });
});
