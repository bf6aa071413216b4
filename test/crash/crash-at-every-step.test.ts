/**
 * Crash safety, proven by crashing: the real server dies by SIGKILL at every named step of a deployment,
 * a rollback and a garbage collection (CAXTON_FAULT_CRASH_AT, test-only), is restarted, and must show
 * either the old tree or the new one in DATA/current — never a mix — with history agreeing, no staging
 * leftovers, and a working next deploy and status. An injected ENOSPC at each step must fail cleanly.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, runCli, startServe, tempDir, type ServeProcess } from "../support/caxton-process.js";
import { snapshot } from "../support/tree-snapshot.js";
import { COMMIT_STEPS, GC_STEPS } from "../../src/store/durable-fs.js";
import { PG_COMMIT_STEPS, PG_GC_STEPS } from "../../src/store/postgres/pg-workspace.js";
import { serverEnv, STORE_BACKENDS, stopBackends, type StoreBackend } from "../support/store-backends.js";

/**
 * Each store's named steps, and those after which the new deployment is the live one. The file store is
 * crashed at every step of everything; the PostgreSQL store at every step of collection and every step of a
 * deploy with a distinct outcome, and at one step on each side of its commit for rollback and ENOSPC (the
 * same code paths, to keep the suite's time modest).
 */
const STEPS = {
  file: {
    deploy: COMMIT_STEPS,
    rollback: COMMIT_STEPS,
    gc: GC_STEPS,
    enospc: COMMIT_STEPS.filter((x) => x !== "swapped" && x !== "committed"),
    newWins: new Set<string>(["swapped", "committed"]),
  },
  postgres: {
    // objects-adopted and synced sit inside the transaction like prepared: the same outcome, left out
    deploy: PG_COMMIT_STEPS.filter((x) => x !== "objects-adopted" && x !== "synced"),
    rollback: ["prepared", "committed"],
    gc: PG_GC_STEPS,
    enospc: ["objects-adopted", "tree-staged"],
    newWins: new Set<string>(["committed", "swap-current", "swapped"]),
  },
} as const satisfies Record<StoreBackend, unknown>;

after(() => stopBackends());

interface Scene {
  root: string;
  ws: string;
  data: string;
  env: Record<string, string>;
  /** the server's environment: which store */
  serve: Record<string, string>;
}

async function scene(backend: StoreBackend): Promise<Scene> {
  const root = tempDir("caxton-crash-");
  const ws = join(root, "ws");
  assert.equal((await runCli(["init", ws])).code, 0);
  return {
    root,
    ws,
    data: join(root, "data"),
    env: { CAXTON_STATE_DIR: join(root, "state") },
    serve: await serverEnv(backend),
  };
}

function deploy(s: Scene, server: ServeProcess, ...extra: string[]) {
  return runCli(["deploy", s.ws, "--server", server.url, "--json", ...extra], s.env);
}

function workspaceView(ws: string): Map<string, string> {
  return snapshot(ws);
}

/** Edits the workspace into its next version: a changed agent, a new file, a deleted file. */
function nextVersion(ws: string, n: number): void {
  writeFileSync(join(ws, `notes-${n}.txt`), `version ${n}\n`);
  writeFileSync(join(ws, "agents/researcher/prompt-notes.md"), `# notes, version ${n}\n`);
}

async function checkInvariants(
  s: Scene,
  server: ServeProcess,
  expected: Map<string, string>[],
): Promise<Map<string, string>> {
  const live = snapshot(join(s.data, "current"));
  assert.ok(
    expected.some((e) => JSON.stringify([...e]) === JSON.stringify([...live])),
    "DATA/current is exactly the old tree or the new tree",
  );
  assert.deepEqual(readdirSync(join(s.data, "tmp")), [], "no staging leftovers");
  assert.equal(existsSync(join(s.data, "current.tmp")), false);
  const res = await fetch(`${server.url}/api/v1/deployments?limit=100`);
  const { deployments } = (await res.json()) as { deployments: { id: number; checksum: string }[] };
  const liveId = Number(readlinkSync(join(s.data, "current")).split("/").pop());
  assert.equal(deployments[0]?.id, liveId, "the newest committed history entry is the live one");
  const dirs = readdirSync(join(s.data, "deployments"))
    .map(Number)
    .sort((a, b) => a - b);
  for (const id of dirs)
    assert.ok(
      deployments.some((d) => d.id === id),
      `deployments/${id} belongs to a committed row`,
    );
  return live;
}

for (const backend of STORE_BACKENDS) {
  const steps = STEPS[backend];
  describe(`crash at every step of a deployment (${backend} store)`, () => {
    for (const step of steps.deploy) {
      test(`SIGKILL at ${step}`, async () => {
        const s = await scene(backend);
        let server = await startServe({ dataDir: s.data, env: s.serve });
        try {
          assert.equal((await deploy(s, server)).code, 0);
          const oldTree = workspaceView(s.ws);
          await server.stop();
          server = await startServe({ dataDir: s.data, env: { ...s.serve, CAXTON_FAULT_CRASH_AT: step } });
          nextVersion(s.ws, 1);
          const newTree = workspaceView(s.ws);
          const crashed = await deploy(s, server);
          assert.equal(crashed.code, 3, `the client reports the lost server: ${crashed.stdout}`);
          assert.equal(await server.stop(), -1, "the server died by signal");
          server = await startServe({ dataDir: s.data, env: s.serve });
          const live = await checkInvariants(s, server, [oldTree, newTree]);
          assert.deepEqual(live, steps.newWins.has(step) ? newTree : oldTree);
          const again = await deploy(s, server);
          assert.equal(again.code, 0, again.stderr);
          assert.deepEqual(snapshot(join(s.data, "current")), newTree);
          const st = await runCli(["status", s.ws, "--server", server.url, "--json"], s.env);
          assert.equal(st.json().in_sync, true);
        } finally {
          await server.stop("SIGKILL");
          cleanup(s.root);
        }
      });
    }
  });

  describe(`crash at every step of a rollback (${backend} store)`, () => {
    for (const step of steps.rollback) {
      test(`SIGKILL at ${step}`, async () => {
        const s = await scene(backend);
        let server = await startServe({ dataDir: s.data, env: s.serve });
        try {
          assert.equal((await deploy(s, server)).code, 0);
          const first = workspaceView(s.ws);
          nextVersion(s.ws, 1);
          assert.equal((await deploy(s, server)).code, 0);
          const second = workspaceView(s.ws);
          await server.stop();
          server = await startServe({ dataDir: s.data, env: { ...s.serve, CAXTON_FAULT_CRASH_AT: step } });
          const r = await runCli(["rollback", "--server", server.url, "--json"], s.env, s.ws);
          assert.equal(r.code, 3);
          await server.stop();
          server = await startServe({ dataDir: s.data, env: s.serve });
          const live = await checkInvariants(s, server, [first, second]);
          assert.deepEqual(live, steps.newWins.has(step) ? first : second);
          const again = await runCli(["rollback", "1", "--server", server.url, "--json"], s.env, s.ws);
          assert.equal(again.code, 0, again.stderr + again.stdout);
          assert.deepEqual(snapshot(join(s.data, "current")), first);
        } finally {
          await server.stop("SIGKILL");
          cleanup(s.root);
        }
      });
    }
  });

  describe(`crash at every step of garbage collection (${backend} store)`, () => {
    for (const step of steps.gc) {
      test(`SIGKILL at ${step}`, async () => {
        const s = await scene(backend);
        const gc = ["--keep", "1", "--gc-grace", "0"];
        let server = await startServe({ dataDir: s.data, env: s.serve });
        try {
          assert.equal((await deploy(s, server)).code, 0);
          await server.stop();
          server = await startServe({
            dataDir: s.data,
            env: { ...s.serve, CAXTON_FAULT_CRASH_AT: step },
            args: gc,
          });
          nextVersion(s.ws, 1);
          const newTree = workspaceView(s.ws);
          await deploy(s, server); // commits, then garbage collection runs and dies at `step`
          await waitForExit(server);
          server = await startServe({ dataDir: s.data, env: s.serve, args: gc });
          await checkInvariants(s, server, [newTree]);
          // every object of the live deployment is still there: the server serves each file's content
          const manifest = (await (await fetch(`${server.url}/api/v1/deployment/manifest`)).json()) as {
            files: Record<string, string>;
          };
          for (const hash of Object.values(manifest.files)) {
            assert.equal((await fetch(`${server.url}/api/v1/objects/${hash}`)).status, 200);
          }
          nextVersion(s.ws, 2);
          const again = await deploy(s, server);
          assert.equal(again.code, 0, again.stderr);
          assert.deepEqual(snapshot(join(s.data, "current")), workspaceView(s.ws));
        } finally {
          await server.stop("SIGKILL");
          cleanup(s.root);
        }
      });
    }
  });

  describe(`injected ENOSPC (${backend} store)`, () => {
    for (const step of steps.enospc) {
      test(`at ${step}: clear error, nothing applied, server stays up`, async () => {
        const s = await scene(backend);
        let server = await startServe({ dataDir: s.data, env: s.serve });
        try {
          assert.equal((await deploy(s, server)).code, 0);
          const oldTree = workspaceView(s.ws);
          await server.stop();
          server = await startServe({ dataDir: s.data, env: { ...s.serve, CAXTON_FAULT_ENOSPC_AT: step } });
          nextVersion(s.ws, 1);
          const r = await deploy(s, server);
          assert.equal(r.code, 3);
          const out = r.json() as { error: { code: string; message: string } };
          assert.equal(out.error.code, "E_STORAGE");
          assert.match(out.error.message, /ENOSPC.*nothing was applied/);
          await checkInvariants(s, server, [oldTree]);
          assert.equal((await fetch(`${server.url}/health`)).status, 200, "the server is still up");
          await server.stop();
          server = await startServe({ dataDir: s.data, env: s.serve });
          assert.equal((await deploy(s, server)).code, 0);
          assert.deepEqual(snapshot(join(s.data, "current")), workspaceView(s.ws));
        } finally {
          await server.stop("SIGKILL");
          cleanup(s.root);
        }
      });
    }
  });
}

async function waitForExit(server: ServeProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (server.child.exitCode === null && server.child.signalCode === null && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.notEqual(server.child.signalCode, null, "garbage collection reached the crash step");
}
