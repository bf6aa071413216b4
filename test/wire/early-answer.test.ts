/**
 * The server may answer before it has read a large upload (a size limit, a stale base). The client must see
 * that answer, not a connection reset: it stops sending, reports the error (or falls back to negotiation on
 * 412), and the server reads the rest of the refused body only for a bounded while.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../support/caxton-process.js";
import { serverAndWorkspace } from "../support/server-and-workspace.js";
import { deployJson, incompressible } from "./wire-helpers.js";

const MiB = 1024 * 1024;

describe("early answers to large uploads", () => {
  const t = serverAndWorkspace({
    prefix: "caxton-wire-early-",
    init: false,
    serve: { args: ["--max-file-bytes", String(48 * MiB)] },
  });

  test("a file over the server's limit: the 413 is reported, after little of the file was sent", async () => {
    const ws = join(t.root, "too-big");
    assert.equal((await runCli(["init", ws])).code, 0);
    writeFileSync(join(ws, "huge.bin"), incompressible(96 * MiB));
    const r = await runCli(["deploy", ws, "--server", t.server.url, "--json"], {
      CAXTON_STATE_DIR: join(t.root, "state-0"),
    });
    assert.equal(r.code, 3, r.stdout + r.stderr);
    const out = r.json() as { error: { code: string; message: string }; bytes_sent: number };
    assert.equal(out.error.code, "E_TOO_LARGE", out.error.message);
    assert.ok(out.bytes_sent < 32 * MiB, `sent ${out.bytes_sent} B before stopping`);
  });

  test("a stale base answered with 412 before the body: the client falls back to negotiation", async () => {
    const ws = join(t.root, "shared");
    assert.equal((await runCli(["init", ws])).code, 0);
    writeFileSync(join(ws, "blob.bin"), incompressible(40 * MiB));
    const a = join(t.root, "state-a");
    const b = join(t.root, "state-b");
    await deployJson(ws, t.server.url, a);
    // another deployer moves the server on
    writeFileSync(join(ws, "notes.txt"), "from b\n");
    await deployJson(ws, t.server.url, b);
    // a's next upload carries a new 40 MB file against its stale base: 412 first, then negotiate and upload
    writeFileSync(join(ws, "blob.bin"), incompressible(40 * MiB));
    const out = await deployJson(ws, t.server.url, a);
    assert.equal(out.round_trips, 3);
    assert.ok(
      readFileSync(join(t.server.dataDir, "current", "blob.bin")).equals(readFileSync(join(ws, "blob.bin"))),
    );
  });
});
