/**
 * A server that accepts connections and never answers (a hung process, a black-holing proxy): every command
 * gives up after its idle timeout with one sentence of ours, instead of hanging; a deploy whose request went
 * out whole says the server may still apply it.
 */
import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { join } from "node:path";
import { cleanup, runCli, tempDir } from "../support/caxton-process.js";

describe("a server that never answers", () => {
  let silent: Server;
  let url = "";
  const sockets = new Set<Socket>();
  let root = "";

  before(async () => {
    root = tempDir();
    silent = createServer((socket) => {
      // read everything, answer nothing
      sockets.add(socket);
      socket.on("data", () => {});
      socket.on("close", () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const address = silent.address();
    assert.ok(address && typeof address === "object");
    url = `http://127.0.0.1:${address.port}`;
    assert.equal((await runCli(["init", join(root, "ws")])).code, 0);
  });

  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
    cleanup(root);
  });

  it("a read gives up after --timeout with exit 3 and a hint", async () => {
    const started = Date.now();
    const r = await runCli(["agents", "--server", url, "--timeout", "1"], {}, join(root, "ws"));
    const took = Date.now() - started;
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /sent nothing for 1 s; gave up waiting/);
    assert.match(r.stderr, /raise --timeout/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.ok(took < 15_000, `took ${took} ms`);
  });

  it("$CAXTON_TIMEOUT sets it when the flag is absent", async () => {
    const r = await runCli(["log", "--server", url], { CAXTON_TIMEOUT: "0.5" }, join(root, "ws"));
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /sent nothing for 0\.5 s/);
  });

  it("a deploy sent whole says it may still be applied", async () => {
    const r = await runCli(
      ["deploy", "--server", url, "--timeout", "1", "--yes"],
      { CAXTON_TIMEOUT: "" },
      join(root, "ws"),
    );
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /sent nothing for 1 s after the upload, and the server cannot be reached to tell/);
    assert.match(r.stderr, /raise --timeout/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  it("a timeout that is not a number is a usage error before any request", async () => {
    for (const bad of ["soon", "-1", "1e3x"]) {
      const r = await runCli(["agents", "--server", url, `--timeout=${bad}`], {}, join(root, "ws"));
      assert.equal(r.code, 2, `${bad}: ${r.stderr}`);
      assert.match(r.stderr, /--timeout: expected a number of seconds/);
    }
  });
});
