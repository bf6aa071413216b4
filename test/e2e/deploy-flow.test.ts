/**
 * End-to-end: the real `caxton serve` on 127.0.0.1:0 and the real CLI, temp dirs, a real SQLite state file.
 * Every suite runs against both stores: the file store and PostgreSQL (a throwaway cluster).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  appendFileSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
  readFileSync,
} from "node:fs";
import { join } from "node:path";
import { cleanup, runCli, startServe, tempDir, type ServeProcess } from "../support/caxton-process.js";
import { snapshot } from "../support/tree-snapshot.js";
import { serverEnv, STORE_BACKENDS, stopBackends, type StoreBackend } from "../support/store-backends.js";

interface Ctx {
  root: string;
  ws: string;
  state: string;
  server: ServeProcess;
  /** the server's environment (which store), kept for restarts */
  env: Record<string, string>;
}

async function setup(backend: StoreBackend): Promise<Ctx> {
  const root = tempDir();
  const ws = join(root, "ws");
  const state = join(root, "state");
  const init = await runCli(["init", ws]);
  assert.equal(init.code, 0, init.stderr);
  const env = await serverEnv(backend);
  const server = await startServe({ dataDir: join(root, "data"), env });
  return { root, ws, state, server, env };
}

function deploy(ctx: Ctx, ...extra: string[]) {
  return runCli(["deploy", ctx.ws, "--server", ctx.server.url, "--json", ...extra], {
    CAXTON_STATE_DIR: ctx.state,
  });
}

function workspaceView(ws: string): Map<string, string> {
  const snap = snapshot(ws);
  for (const k of [...snap.keys()]) if (k.startsWith(".caxton/")) snap.delete(k);
  return snap;
}

after(() => stopBackends());

for (const backend of STORE_BACKENDS) {
  describe(`deploy flow (${backend} store)`, () => {
    let ctx: Ctx;
    before(async () => {
      ctx = await setup(backend);
    });
    after(async () => {
      await ctx.server.stop();
      cleanup(ctx.root);
    });

    test("first deploy sends everything and DATA/current equals the workspace", async () => {
      const r = await deploy(ctx);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const out = r.json();
      assert.equal(out.success, true);
      assert.equal(out.round_trips, 2, "cold cache: negotiate + upload");
      assert.equal((out.added as string[]).length, 7);
      assert.equal(typeof out.deployed_checksum, "string");
      assert.ok((out.bytes_sent as number) > 0);
      for (const k of ["discovery_ms", "validation_ms", "apply_ms"])
        assert.equal(typeof (out.phases as Record<string, number>)[k], "number");
      assert.deepEqual(snapshot(join(ctx.server.dataDir, "current")), workspaceView(ctx.ws));
    });

    test("no change costs exactly one round trip", async () => {
      const r = await deploy(ctx);
      const out = r.json();
      assert.equal(r.code, 0);
      assert.equal(out.up_to_date, true);
      assert.equal(out.round_trips, 1);
      assert.equal(out.changes_applied, 0);
    });

    test("one change: one round trip, only that file's content is sent", async () => {
      const path = "agents/code-reviewer.toml";
      appendFileSync(join(ctx.ws, path), '\n[parameters]\nstyle = "terse"\n');
      const size = readFileSync(join(ctx.ws, path)).length;
      const r = await deploy(ctx);
      const out = r.json();
      assert.equal(r.code, 0, r.stderr);
      assert.equal(out.round_trips, 1);
      assert.deepEqual(out.modified, [path]);
      assert.deepEqual(out.added, []);
      assert.deepEqual(out.deleted, []);
      const files = out.files as { path: string; bytes: number }[];
      assert.deepEqual(files, [{ path, operation: "modified", bytes: size, sent: "whole" }]);
      // one blob plus the two trees on its path (agents/ and the root), nothing else
      assert.equal(out.objects_sent, 3);
      assert.deepEqual(snapshot(join(ctx.server.dataDir, "current")), workspaceView(ctx.ws));
    });

    test("add, delete and rename; a rename sends no file content", async () => {
      writeFileSync(join(ctx.ws, "notes.txt"), "hello\n");
      rmSync(join(ctx.ws, "agents/researcher/prompt-notes.md"));
      mkdirSync(join(ctx.ws, "docs"));
      renameSync(join(ctx.ws, "tools/mcp_servers.toml"), join(ctx.ws, "tools/servers.toml"));
      // keep the workspace valid: tools/mcp_servers.toml is back, under its own name, with the same content
      renameSync(join(ctx.ws, "tools/servers.toml"), join(ctx.ws, "tools/mcp_servers.toml"));
      renameSync(join(ctx.ws, "caxton.toml"), join(ctx.ws, "docs/caxton-settings.toml"));
      const r = await deploy(ctx);
      const out = r.json();
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.deepEqual(out.added, ["docs/caxton-settings.toml", "notes.txt"]);
      assert.deepEqual(out.deleted, ["agents/researcher/prompt-notes.md", "caxton.toml"]);
      const files = out.files as { path: string; bytes: number }[];
      assert.equal(
        files.find((f) => f.path === "docs/caxton-settings.toml")?.bytes,
        0,
        "renamed: content already on server",
      );
      assert.equal(files.find((f) => f.path === "notes.txt")?.bytes, 6);
      assert.equal(out.content_bytes_sent, 6 + treeBytes(out), "only notes.txt and tree objects");
      assert.deepEqual(snapshot(join(ctx.server.dataDir, "current")), workspaceView(ctx.ws));
    });

    test("a revert to content the server has held sends no file content", async () => {
      const path = join(ctx.ws, "agents/coordinator.toml");
      const original = readFileSync(path);
      writeFileSync(path, original.toString().replace("1.0.0", "1.0.1"));
      assert.equal((await deploy(ctx)).code, 0);
      writeFileSync(path, original);
      const r = await deploy(ctx);
      const out = r.json();
      assert.equal(r.code, 0);
      assert.deepEqual(out.modified, ["agents/coordinator.toml"]);
      assert.equal((out.files as { bytes: number }[])[0]?.bytes, 0);
      assert.equal(out.round_trips, 1);
      assert.deepEqual(snapshot(join(ctx.server.dataDir, "current")), workspaceView(ctx.ws));
    });

    test("a broken TOML file is rejected with path:line:col, exit 1, and current stays byte-identical", async () => {
      const before = snapshot(join(ctx.server.dataDir, "current"));
      const deployments = readdirSync(join(ctx.server.dataDir, "deployments")).length;
      writeFileSync(join(ctx.ws, "agents/broken.toml"), 'name = "broken"\nversion = \n');
      const human = await runCli(["deploy", ctx.ws, "--server", ctx.server.url], {
        CAXTON_STATE_DIR: ctx.state,
      });
      assert.equal(human.code, 1);
      assert.match(human.stderr, /^agents\/broken\.toml:2:\d+: error: /m);
      assert.match(human.stderr, /nothing was sent or applied/);
      const r = await deploy(ctx);
      assert.equal(r.code, 1);
      const out = r.json();
      assert.equal(out.success, false);
      const errors = out.errors as { path: string; line: number; column: number; message: string }[];
      assert.equal(errors[0]?.path, "agents/broken.toml");
      assert.equal(errors[0]?.line, 2);
      assert.deepEqual(snapshot(join(ctx.server.dataDir, "current")), before);
      assert.equal(readdirSync(join(ctx.server.dataDir, "deployments")).length, deployments);
      rmSync(join(ctx.ws, "agents/broken.toml"));
    });

    test("--dry-run shows what would change and applies nothing", async () => {
      writeFileSync(join(ctx.ws, "extra.txt"), "dry\n");
      const before = snapshot(join(ctx.server.dataDir, "current"));
      const r = await deploy(ctx, "--dry-run");
      const out = r.json();
      assert.equal(r.code, 0, r.stderr);
      assert.equal(out.dry_run, true);
      assert.deepEqual(out.added, ["extra.txt"]);
      assert.equal(out.changes_applied, 0);
      assert.deepEqual(snapshot(join(ctx.server.dataDir, "current")), before);
      const human = await runCli(["deploy", ctx.ws, "--server", ctx.server.url, "--dry-run"], {
        CAXTON_STATE_DIR: ctx.state,
      });
      assert.match(human.stdout, /\+ extra\.txt\s+4 B/);
      assert.match(human.stdout, /Nothing was applied/);
      rmSync(join(ctx.ws, "extra.txt"));
    });

    test("status works offline and restart keeps the server's state", async () => {
      writeFileSync(join(ctx.ws, "offline.txt"), "x\n");
      await ctx.server.stop();
      const st = await runCli(["status", ctx.ws, "--server", ctx.server.url, "--json"], {
        CAXTON_STATE_DIR: ctx.state,
      });
      assert.equal(st.code, 0, st.stderr);
      const s = st.json();
      assert.equal(s.in_sync, false);
      assert.deepEqual(s.added, ["offline.txt"]);
      assert.notEqual(s.deployed_checksum, null);
      assert.equal(typeof (s.last_deployment as { time: string }).time, "string");
      const unreachable = await deploy(ctx);
      assert.equal(unreachable.code, 3);
      rmSync(join(ctx.ws, "offline.txt"));
      const restarted = await startServe({ dataDir: ctx.server.dataDir, env: ctx.env });
      // the URL changes with port 0: a new server URL is a cold cache for the client, still correct
      ctx.server = restarted;
      const r = await deploy(ctx);
      const out = r.json();
      assert.equal(r.code, 0, r.stderr);
      assert.equal(out.up_to_date, true, "the restarted server still holds the deployment");
      assert.equal(out.round_trips, 1);
      assert.equal(out.content_bytes_sent, 0);
    });
  });

  describe(`several clients (${backend} store)`, () => {
    test("a client whose base moved falls back to negotiation (≤ 3 round trips) and sends only what is missing", async () => {
      const ctx = await setup(backend);
      try {
        const other = { ...ctx, state: join(ctx.root, "state-2") };
        assert.equal((await deploy(ctx)).code, 0);
        const cold = await deploy(other);
        assert.equal(cold.json().up_to_date, true, "a fresh client on an up-to-date server");
        assert.equal(cold.json().round_trips, 1);
        writeFileSync(join(ctx.ws, "a.txt"), "from client one\n");
        assert.equal((await deploy(ctx)).code, 0);
        writeFileSync(join(ctx.ws, "b.txt"), "from client two\n");
        const r = await deploy(other);
        const out = r.json();
        assert.equal(r.code, 0, r.stderr);
        assert.ok((out.round_trips as number) <= 3);
        assert.deepEqual(out.added, ["b.txt"]);
        assert.equal(
          (out.files as { path: string; bytes: number }[]).find((f) => f.path === "b.txt")?.bytes,
          16,
        );
      } finally {
        await ctx.server.stop();
        cleanup(ctx.root);
      }
    });
  });
}

function treeBytes(out: Record<string, unknown>): number {
  const files = out.files as { bytes: number }[];
  return (out.content_bytes_sent as number) - files.reduce((n, f) => n + f.bytes, 0);
}
