/**
 * Refusals a peer gets are one sentence of ours and come early: rollback targets (a number is an id, as
 * protocol.md says; a pruned one "was pruned" by id or checksum prefix), schema failures without zod's dump,
 * a cap on uploads in flight (503 with Retry-After), and a Content-Length no honest body can have (413 at once).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { PACK_CONTENT_TYPE } from "../../src/protocol/pack-format.js";
import { type ServeProcess } from "../support/caxton-process.js";
import { serverAndWorkspace } from "../support/server-and-workspace.js";
import {
  expectError,
  packBytes,
  rawHttp,
  request,
  requestHead,
  sleep,
  tmpEntries,
  waitFor,
  workspace,
} from "./helpers.js";

async function deploy(server: ServeProcess, text: string): Promise<{ id: number; checksum: string }> {
  const ws = workspace({ "notes.txt": text });
  const res = await request(`${server.url}/api/v1/deployments`, {
    method: "POST",
    headers: { "Content-Type": PACK_CONTENT_TYPE },
    body: packBytes({ root: ws.root }, ws.objects),
  });
  assert.equal(res.status, 201, res.text);
  const body = JSON.parse(res.text) as { deployment_id: number; deployed_checksum: string };
  return { id: body.deployment_id, checksum: body.deployed_checksum };
}

function rollback(server: ServeProcess, body: unknown) {
  return request(`${server.url}/api/v1/rollback`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

describe("rollback targets and schema errors", () => {
  const t = serverAndWorkspace({
    prefix: "caxton-refusals-",
    init: false,
    serve: { args: ["--keep", "2", "--gc-grace", "0"] },
  });

  test("a number is a deployment id; a wrong type is one sentence naming the field", async () => {
    const first = await deploy(t.server, "one\n");
    await deploy(t.server, "two\n");
    const ok = await rollback(t.server, { target: first.id });
    assert.equal(ok.status, 201, ok.text);
    for (const target of [true, { id: 1 }, [1], 1.5, -1]) {
      const e = expectError(await rollback(t.server, { target }), 400, "E_BAD_REQUEST");
      assert.match(e.message, /^invalid rollback request: target: /);
      assert.doesNotMatch(e.message, /[\n{}[\]]|"code"|"path"/, `one sentence, no dump: ${e.message}`);
    }
    const e = expectError(await rollback(t.server, { deployed_by: 7 }), 400, "E_BAD_REQUEST");
    assert.doesNotMatch(e.message, /\n/);
  });

  test("a pruned target 'was pruned', named by id or by checksum prefix", async () => {
    const old = await deploy(t.server, "old\n");
    for (let i = 0; i < 4; i++) await deploy(t.server, `newer ${i}\n`);
    await sleep(300); // retention runs just after each commit
    for (const target of [String(old.id), old.id, old.checksum.slice(0, 12)]) {
      const e = expectError(await rollback(t.server, { target }), 404, "E_NOT_FOUND");
      assert.match(e.message, /was pruned$/, `${String(target)}: ${e.message}`);
    }
  });

  test("a malformed negotiation header is one sentence too", async () => {
    const head = Buffer.from(JSON.stringify({ root: "not-a-hash" }));
    const body = Buffer.alloc(8 + head.length);
    body.write("CXNG", 0, "latin1");
    body.writeUInt32BE(head.length, 4);
    head.copy(body, 8);
    const res = await request(`${t.server.url}/api/v1/negotiate`, {
      method: "POST",
      headers: { "Content-Type": "application/vnd.caxton.negotiate" },
      body,
    });
    const e = expectError(res, 400, "E_BAD_REQUEST");
    assert.match(e.message, /^invalid negotiation header: root: /);
    assert.doesNotMatch(e.message, /\n/);
  });
});

describe("uploads in flight and impossible sizes", () => {
  const t = serverAndWorkspace({
    prefix: "caxton-uploads-",
    init: false,
    serve: { args: ["--idle-timeout", "5"] },
  });

  test("past 32 stalled uploads the next is 503 E_BUSY with Retry-After; room again once they go", async () => {
    const ws = workspace({ "a.txt": "stalled\n" });
    const body = packBytes({ root: ws.root }, ws.objects);
    const sockets: Socket[] = [];
    const stalled = [...Array(32).keys()].map(() =>
      rawHttp(
        t.server.url,
        (socket) => {
          sockets.push(socket);
          socket.write(
            Buffer.concat([
              requestHead("POST", "/api/v1/deployments", {
                "Content-Type": PACK_CONTENT_TYPE,
                "Content-Length": body.length,
              }),
              body.subarray(0, body.length - 10),
            ]),
          );
        },
        { timeoutMs: 20_000 },
      ),
    );
    assert.ok(await waitFor(() => tmpEntries(t.server.dataDir).length === 32, 5_000), "32 uploads in flight");
    const refused = await request(`${t.server.url}/api/v1/deployments`, {
      method: "POST",
      headers: { "Content-Type": PACK_CONTENT_TYPE },
      body,
    });
    const e = expectError(refused, 503, "E_BUSY");
    assert.equal(refused.headers.get("retry-after"), "2");
    assert.match(e.message, /uploads already/);
    assert.equal(tmpEntries(t.server.dataDir).length, 32, "the refused upload left no temp dir");
    for (const s of sockets) s.destroy();
    await Promise.all(stalled);
    assert.ok(await waitFor(() => tmpEntries(t.server.dataDir).length === 0, 5_000), "temp dirs removed");
    const ok = await request(`${t.server.url}/api/v1/deployments`, {
      method: "POST",
      headers: { "Content-Type": PACK_CONTENT_TYPE },
      body,
    });
    assert.equal(ok.status, 201, ok.text);
  });

  test("Content-Length 10^15 with Content-Encoding: zstd is 413 before a byte of body", async () => {
    const r = await rawHttp(
      t.server.url,
      requestHead("POST", "/api/v1/deployments", {
        "Content-Type": PACK_CONTENT_TYPE,
        "Content-Encoding": "zstd",
        "Content-Length": "1000000000000000",
      }),
      { timeoutMs: 5_000 },
    );
    assert.equal(r.status, 413, r.body.toString());
    const body = JSON.parse(r.body.toString()) as { error: { code: string; detail?: { limit?: string } } };
    assert.equal(body.error.code, "E_TOO_LARGE");
    assert.equal(body.error.detail?.limit, "max_body_bytes");
    assert.ok(r.elapsedMs < 2_000, `answered in ${Math.round(r.elapsedMs)} ms`);
  });
});
