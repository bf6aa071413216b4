/**
 * A one-agent change in a folder of many agents sends the folder's tree object as a delta against the old
 * one (the server holds it): bytes on the wire stay small however large the folder, and the server's copy
 * is exact.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, runCli, startServe, tempDir } from "../support/caxton-process.js";
import { snapshot } from "../support/tree-snapshot.js";

const agent = (i: number, version: string): string =>
  `name = "agent-${i}"\nversion = "${version}"\ncapabilities = ["x"]\nsystem_prompt = "s"\nuser_prompt_template = "t"\n\n[tools]\navailable = ["read_file"]\n`;

test("a one-agent change in a folder of 1,000 agents crosses the wire in under 2 KB", async () => {
  const root = tempDir();
  const ws = join(root, "ws");
  mkdirSync(join(ws, "agents"), { recursive: true });
  for (let i = 0; i < 1000; i++) writeFileSync(join(ws, "agents", `a${i}.toml`), agent(i, "1.0.0"));
  const server = await startServe({ dataDir: join(root, "data"), args: ["--quiet"] });
  const env = { CAXTON_STATE_DIR: join(root, "state") };
  try {
    assert.equal((await runCli(["deploy", ws, "--server", server.url], env)).code, 0);
    writeFileSync(join(ws, "agents", "a500.toml"), agent(500, "1.0.1"));
    const r = await runCli(["deploy", ws, "--server", server.url, "--json"], env);
    assert.equal(r.code, 0, r.stderr);
    const out = r.json() as { bytes_sent: number; round_trips: number; objects_sent: number };
    assert.equal(out.round_trips, 1);
    assert.equal(out.objects_sent, 3, "the agent, the agents/ tree (as a delta) and the root tree");
    // the agents/ tree object alone is ~47 KB of mostly incompressible hashes
    assert.ok(out.bytes_sent < 2000, `bytes_sent ${out.bytes_sent}`);
    assert.deepEqual(snapshot(join(root, "data", "current")), snapshot(ws));
  } finally {
    await server.stop();
    cleanup(root);
  }
});
