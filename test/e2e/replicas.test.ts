/**
 * Several `caxton serve` replicas on one PostgreSQL database, through the real CLI: a deploy through one is
 * live on the others (their `current`, their read API, their event stream); a replica on an empty data dir
 * catches up; a database that goes away fails deploys cleanly (exit 3) and replicas recover by themselves;
 * a replica killed mid-deploy holds no lock and leaves no partial head; rollback and concurrent deploys
 * through different replicas keep one linear history.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, runCli, startServe, tempDir, type ServeProcess } from "../support/caxton-process.js";
import { collectEvents } from "../support/sse-events.js";
import { postgresCluster, serverEnv, stopBackends } from "../support/store-backends.js";
import { snapshot } from "../support/tree-snapshot.js";

interface Replicas {
  root: string;
  ws: string;
  env: Record<string, string>;
  state: Record<string, string>;
  a: ServeProcess;
  b: ServeProcess;
}

async function replicas(): Promise<Replicas> {
  const root = tempDir("caxton-replicas-");
  const ws = join(root, "ws");
  assert.equal((await runCli(["init", ws])).code, 0);
  const env = await serverEnv("postgres");
  const [a, b] = await Promise.all([
    startServe({ dataDir: join(root, "a"), env }),
    startServe({ dataDir: join(root, "b"), env }),
  ]);
  return { root, ws, env, state: { CAXTON_STATE_DIR: join(root, "state") }, a, b };
}

async function stopAll(r: Replicas, ...more: (ServeProcess | undefined)[]): Promise<void> {
  await Promise.all([r.a.stop(), r.b.stop(), ...more.map((s) => s?.stop())]);
  cleanup(r.root);
}

function deploy(r: Replicas, server: ServeProcess, ws = r.ws, state = r.state) {
  return runCli(["deploy", ws, "--server", server.url, "--json", "--yes"], state);
}

const view = (ws: string): string => {
  const snap = snapshot(ws);
  for (const k of [...snap.keys()]) if (k.startsWith(".caxton/")) snap.delete(k);
  return JSON.stringify([...snap]);
};
const live = (server: ServeProcess): string => {
  try {
    return JSON.stringify([...snapshot(join(server.dataDir, "current"))]);
  } catch {
    return "(none)";
  }
};

async function eventually(what: string, cond: () => boolean, ms = 8_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) assert.fail(`${what}: not within ${ms} ms`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

before(async () => {
  await postgresCluster();
});
after(() => stopBackends());

describe("replicas on PostgreSQL", () => {
  test("a deploy through A is live on B: its current, its API, its event stream; a new replica catches up", async () => {
    const r = await replicas();
    let c: ServeProcess | undefined;
    try {
      const events = collectEvents(r.b.url, 1);
      await new Promise((res) => setTimeout(res, 200));
      const first = await deploy(r, r.a);
      assert.equal(first.code, 0, first.stderr);
      const id = first.json().deployment_id;
      assert.equal(live(r.a), view(r.ws), "A is live at once");
      await eventually("B follows", () => live(r.b) === view(r.ws));
      const [event] = await events;
      assert.equal(event?.event, "deployment.applied", "B's stream reports a deployment made through A");
      assert.equal(event?.data.deployment_id, id);
      const current = (await (await fetch(`${r.b.url}/api/v1/deployment`)).json()) as {
        deployment_id: number;
      };
      assert.equal(current.deployment_id, id);
      const agents = await runCli(["agents", "--server", r.b.url, "--json"]);
      assert.equal(agents.code, 0, agents.stderr);
      assert.match(agents.stdout, /coordinator/);
      const ids = await Promise.all(
        [r.a, r.b].map(
          async (s) => ((await (await fetch(`${s.url}/health`)).json()) as { server_id: string }).server_id,
        ),
      );
      assert.equal(ids[0], ids[1], "replicas of one database are one server to clients");
      c = await startServe({ dataDir: join(r.root, "c"), env: r.env });
      assert.equal(live(c), view(r.ws), "an empty data dir is caught up before `listening on`");
      const log = await runCli(["log", "--server", c.url, "--json"]);
      assert.equal((log.json() as { deployments: unknown[] }).deployments.length, 1);
    } finally {
      await stopAll(r, c);
    }
  });

  test("a lost database fails the deploy with exit 3 and changes nothing; replicas recover by themselves", async () => {
    const r = await replicas();
    const cluster = await postgresCluster();
    try {
      assert.equal((await deploy(r, r.a)).code, 0);
      await eventually("B follows", () => live(r.b) === view(r.ws));
      const before = live(r.a);
      writeFileSync(join(r.ws, "notes.txt"), "while the database is down\n");
      cluster.halt("immediate");
      const failed = await deploy(r, r.a);
      assert.equal(failed.code, 3, failed.stdout + failed.stderr);
      const error = (failed.json() as { error: { code: string; message: string; hint: string } }).error;
      assert.equal(error.code, "E_DATABASE");
      assert.match(error.message, /database/);
      assert.match(error.message, /nothing was applied/);
      assert.doesNotMatch(failed.stdout + failed.stderr, /\n\s+at /, "no stack trace");
      assert.equal(live(r.a), before);
      assert.equal(live(r.b), before);
      cluster.resume();
      const again = await deploy(r, r.b);
      assert.equal(again.code, 0, again.stderr);
      await eventually("A follows after the restart", () => live(r.a) === view(r.ws));
    } finally {
      cluster.resume();
      await stopAll(r);
    }
  });

  for (const step of ["prepared", "committed"] as const) {
    test(`a replica killed mid-deploy (at ${step}) holds no lock and leaves no partial head`, async () => {
      const r = await replicas();
      let killed: ServeProcess | undefined;
      let restarted: ServeProcess | undefined;
      try {
        assert.equal((await deploy(r, r.a)).code, 0);
        const old = view(r.ws);
        killed = await startServe({
          dataDir: join(r.root, "k"),
          env: { ...r.env, CAXTON_FAULT_CRASH_AT: step },
        });
        writeFileSync(join(r.ws, "notes.txt"), `deployed through a replica that dies at ${step}\n`);
        const attempt = await deploy(r, killed);
        assert.equal(attempt.code, 3, "the client sees the connection drop");
        await killed.stop();
        // the database decided: before COMMIT nothing happened, after it the deployment is live
        const expected = step === "committed" ? view(r.ws) : old;
        await eventually("B shows the database's head", () => live(r.b) === expected);
        const log = await runCli(["log", "--server", r.b.url, "--json"]);
        const count = (log.json() as { deployments: unknown[] }).deployments.length;
        assert.equal(count, step === "committed" ? 2 : 1, "no partial deployment in the history");
        writeFileSync(join(r.ws, "after.txt"), "the next deploy\n");
        const start = Date.now();
        const next = await deploy(r, r.b);
        assert.equal(next.code, 0, next.stderr);
        assert.ok(Date.now() - start < 20_000, "no lock was left held");
        restarted = await startServe({ dataDir: join(r.root, "k"), env: r.env });
        assert.equal(live(restarted), view(r.ws), "the killed replica catches up when it starts again");
      } finally {
        await stopAll(r, killed, restarted);
      }
    });
  }

  test("rollback through B of a deployment made through A; concurrent deploys through both stay linear", async () => {
    const r = await replicas();
    try {
      assert.equal((await deploy(r, r.a)).code, 0);
      const v1 = view(r.ws);
      writeFileSync(join(r.ws, "v2.txt"), "two\n");
      assert.equal((await deploy(r, r.a)).code, 0);
      const back = await runCli(["rollback", "--server", r.b.url, "--json"], r.state);
      assert.equal(back.code, 0, back.stderr);
      await eventually("A follows the rollback", () => live(r.a) === v1 && live(r.b) === v1);
      const runs = [];
      const trees: string[] = [];
      for (let i = 0; i < 6; i++) {
        const ws = join(r.root, `ws-${i}`);
        cpSync(r.ws, ws, { recursive: true });
        writeFileSync(join(ws, "who.txt"), `client ${i}\n`);
        trees.push(view(ws));
        runs.push(deploy(r, i % 2 ? r.a : r.b, ws, { CAXTON_STATE_DIR: join(r.root, `state-${i}`) }));
      }
      const results = await Promise.all(runs);
      for (const res of results) assert.equal(res.code, 0, res.stderr + res.stdout);
      await eventually("both replicas on one head", () => live(r.a) === live(r.b));
      assert.equal(trees.filter((t) => t === live(r.a)).length, 1, "current is exactly one submitted tree");
      assert.equal(readlinkSync(join(r.a.dataDir, "current")), readlinkSync(join(r.b.dataDir, "current")));
      const log = await runCli(["log", "--server", r.a.url, "--json"]);
      const deployments = (log.json() as { deployments: { id: number; checksum: string }[] }).deployments;
      assert.equal(deployments.length, 9, "3 + 6 deployments, none lost");
      const roots = new Set(deployments.map((d) => d.checksum));
      for (const res of results) assert.ok(roots.has(res.json().deployed_checksum as string));
    } finally {
      await stopAll(r);
    }
  });
});
