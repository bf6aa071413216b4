/**
 * One server, many workspaces: two teams deploying at once, each workspace with its own live tree, history,
 * agents, events, diff and rollback; names checked before any work; the CLI's --workspace, $CAXTON_WORKSPACE
 * and `[deploy] workspace` in caxton.toml, in that order; `caxton workspaces`; local state per workspace;
 * garbage collection that keeps what any workspace's retained deployments reach; a crash during one
 * workspace's deploy leaving the other untouched. Real server, real fs, real SQLite and PostgreSQL.
 */
import type { WorkspaceSummary } from "../../src/protocol/messages.js";
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readlinkSync, writeFileSync, appendFileSync } from "node:fs";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { cleanup, runCli, startServe, tempDir } from "../support/caxton-process.js";
import { serverEnv, STORE_BACKENDS, stopBackends, type StoreBackend } from "../support/store-backends.js";

after(() => stopBackends());

async function newWorkspace(root: string, name: string): Promise<string> {
  const ws = join(root, name);
  const init = await runCli(["init", ws]);
  assert.equal(init.code, 0, init.stderr);
  return ws;
}

/** The first `count` events of a workspace's stream (SSE), read as a subscriber does. */
async function firstEvents(url: string, count: number): Promise<Record<string, unknown>[]> {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const events: Record<string, unknown>[] = [];
  let buffer = "";
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += Buffer.from(value).toString();
    let cut: number;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const data = buffer
        .slice(0, cut)
        .split("\n")
        .find((l) => l.startsWith("data: "));
      buffer = buffer.slice(cut + 2);
      if (data) events.push(JSON.parse(data.slice(6)) as Record<string, unknown>);
    }
  }
  await reader.cancel();
  return events;
}

/** A step before the new head is live, and one after, for each store (test/crash has them all). */
const CRASH_STEPS: Record<StoreBackend, { before: string; after: string }> = {
  file: { before: "tree-placed", after: "swapped" },
  postgres: { before: "prepared", after: "committed" },
};

for (const backend of STORE_BACKENDS)
  describe(`workspaces (${backend} store)`, () => {
    test("two teams deploy at once to two workspaces: both succeed, each isolated from the other", async () => {
      const root = tempDir("caxton-ws-");
      // two teams: two machines, each with its own local state
      const env = { CAXTON_STATE_DIR: join(root, "state-a") };
      const envB = { CAXTON_STATE_DIR: join(root, "state-b") };
      const server = await startServe({ dataDir: join(root, "data"), env: await serverEnv(backend) });
      try {
        const a = await newWorkspace(root, "a");
        const b = await newWorkspace(root, "b");
        writeFileSync(join(b, "agents", "coordinator.toml"), 'name = "coordinator"\nversion = "2.0.0"\n', {
          flag: "a",
        });
        const [da, db] = await Promise.all([
          runCli(["deploy", a, "--server", server.url, "--workspace", "team-a", "--json"], env),
          runCli(["deploy", b, "--server", server.url, "--workspace", "team-b", "--json"], envB),
        ]);
        assert.equal(da.code, 0, da.stdout + da.stderr);
        assert.equal(db.code, 0, db.stdout + db.stderr);
        // the subscriber of team-a's events hears team-a's deploy only
        const aEvents = firstEvents(`${server.url}/api/v1/workspaces/team-a/events`, 1);
        await new Promise((r) => setTimeout(r, 300));
        // a second deploy of each: no conflict from the other team's files
        writeFileSync(join(a, "extra-a.txt"), "a\n");
        writeFileSync(join(b, "extra-b.txt"), "b\n");
        const [da2, db2] = await Promise.all([
          runCli(["deploy", a, "--server", server.url, "--workspace", "team-a", "--json"], env),
          runCli(["deploy", b, "--server", server.url, "--workspace", "team-b", "--json"], envB),
        ]);
        assert.equal(da2.code, 0, da2.stderr);
        assert.equal(db2.code, 0, db2.stderr);
        assert.deepEqual(da2.json().added, ["extra-a.txt"]);
        assert.deepEqual(db2.json().added, ["extra-b.txt"]);

        const events = await aEvents;
        assert.equal(events[0]?.deployment_id, da2.json().deployment_id);

        // layout: default at the top, others under workspaces/NAME; trees shared
        const data = join(root, "data");
        assert.ok(!existsSync(join(data, "current")), "nothing deployed to default");
        assert.match(readlinkSync(join(data, "workspaces", "team-a", "current")), /^deployments\/\d{8}$/);
        assert.match(readlinkSync(join(data, "workspaces", "team-b", "current")), /^deployments\/\d{8}$/);
        assert.ok(existsSync(join(data, "workspaces", "team-a", "current", "extra-a.txt")));
        assert.ok(!existsSync(join(data, "workspaces", "team-a", "current", "extra-b.txt")));

        // log, agents, diff per workspace; the un-prefixed API is the (empty) default workspace
        const logA = await runCli(["log", "--server", server.url, "--workspace", "team-a", "--json"], env);
        const idsA = (logA.json().deployments as { id: number }[]).map((d) => d.id);
        assert.deepEqual(idsA, [da2.json().deployment_id, da.json().deployment_id]);
        const logDefault = await runCli(["log", "--server", server.url, "--json"], env);
        assert.deepEqual(logDefault.json().deployments, []);
        const agentsB = await runCli(
          ["agents", "--server", server.url, "--workspace", "team-b", "--json"],
          env,
        );
        assert.equal(agentsB.json().deployment_id, db2.json().deployment_id);
        const diffA = await runCli(["diff", a, "--server", server.url, "--workspace", "team-a"], env);
        assert.equal(diffA.code, 0, diffA.stdout + diffA.stderr);
        // a deployment id of team-b is not found in team-a
        const wrong = await fetch(
          `${server.url}/api/v1/workspaces/team-a/deployments/${db.json().deployment_id}/changes`,
        );
        assert.equal(wrong.status, 404);

        // rollback in team-a leaves team-b's head alone
        const rb = await runCli(["rollback", "--server", server.url, "--workspace", "team-a", "--json"], env);
        assert.equal(rb.code, 0, rb.stderr);
        const list = await runCli(["workspaces", "--server", server.url, "--json"], env);
        const rows = list.json().workspaces as WorkspaceSummary[];
        assert.deepEqual(
          rows.map((w) => w.name),
          ["default", "team-a", "team-b"],
        );
        assert.equal(rows[0]?.deployment_id, null);
        assert.equal(rows[1]?.deployment_id, rb.json().deployment_id);
        assert.equal(rows[2]?.deployment_id, db2.json().deployment_id);
        assert.equal(rows[2]?.agents, 3);
        assert.ok(rows[2]?.last_deploy);
        const table = await runCli(["workspaces", "--server", server.url], env);
        assert.match(table.stdout, /^WORKSPACE\s+LIVE\s+CHECKSUM\s+AGENTS\s+LAST DEPLOY$/m);
        assert.match(table.stdout, /^team-b\s+#\d+\s+[0-9a-f]{12}\s+3\s+\d{4}-/m);

        // local state per server and workspace: the same folder deployed to a third workspace sends it all
        const dc = await runCli(
          ["deploy", a, "--server", server.url, "--workspace", "team-c", "--json"],
          env,
        );
        assert.equal(dc.code, 0, dc.stderr);
        assert.ok((dc.json().added as string[]).includes("extra-a.txt"));
        assert.equal((dc.json().modified as string[]).length, 0);
      } finally {
        await server.stop();
        cleanup(root);
      }
    });

    test("names are checked before any work; an unknown workspace is a clear 404 with a hint", async () => {
      const root = tempDir("caxton-ws-");
      const server = await startServe({ dataDir: join(root, "data"), env: await serverEnv(backend) });
      try {
        const ws = await newWorkspace(root, "w");
        // the CLI refuses before it asks anything (the server is not even reachable)
        const bad = await runCli(["deploy", ws, "--server", "http://127.0.0.1:9", "--workspace", "Team_A"]);
        assert.equal(bad.code, 2);
        assert.match(bad.stderr, /--workspace: "Team_A" is not a workspace name/);
        const envBad = await runCli(["log", "--server", "http://127.0.0.1:9"], {
          CAXTON_WORKSPACE: "9lives",
        });
        assert.equal(envBad.code, 2);
        assert.match(envBad.stderr, /\$CAXTON_WORKSPACE: "9lives" is not a workspace name/);
        // the server too, for every endpoint
        for (const name of ["Team", "a_b", "x".repeat(64), "-a", "a%20b"]) {
          const res = await fetch(`${server.url}/api/v1/workspaces/${name}/deployments`);
          assert.equal(res.status, 400, name);
          const body = (await res.json()) as { error: { code: string } };
          assert.equal(body.error.code, "E_WORKSPACE_NAME");
        }
        const unknown = await fetch(`${server.url}/api/v1/workspaces/nope/agents`);
        assert.equal(unknown.status, 404);
        const err = ((await unknown.json()) as { error: { code: string; message: string; hint: string } })
          .error;
        assert.equal(err.code, "E_NO_WORKSPACE");
        assert.equal(err.message, 'there is no workspace "nope" on this server');
        assert.match(err.hint, /caxton workspaces/);
        const cli = await runCli(["agents", "--server", server.url, "--workspace", "nope"]);
        assert.equal(cli.code, 5);
        assert.match(cli.stderr, /no workspace "nope"/);
        // the 63-character maximum is a name
        const long = `a${"b".repeat(62)}`;
        const ok = await runCli(["deploy", ws, "--server", server.url, "--workspace", long]);
        assert.equal(ok.code, 0, ok.stderr);
      } finally {
        await server.stop();
        cleanup(root);
      }
    });

    test("--workspace beats $CAXTON_WORKSPACE beats [deploy] workspace in caxton.toml beats default", async () => {
      const root = tempDir("caxton-ws-");
      const env = { CAXTON_STATE_DIR: join(root, "state") };
      const server = await startServe({ dataDir: join(root, "data"), env: await serverEnv(backend) });
      try {
        const ws = await newWorkspace(root, "w");
        appendFileSync(join(ws, "caxton.toml"), 'workspace = "from-toml"\n');
        const deployTo = async (extra: string[], e: Record<string, string>): Promise<void> => {
          writeFileSync(join(ws, "n.txt"), `${Math.random()}\n`);
          const r = await runCli(["deploy", ws, "--server", server.url, ...extra], { ...env, ...e });
          assert.equal(r.code, 0, r.stderr);
        };
        await deployTo(["--workspace", "from-flag"], { CAXTON_WORKSPACE: "from-env" });
        await deployTo([], { CAXTON_WORKSPACE: "from-env" });
        await deployTo([], {});
        const rows = (await runCli(["workspaces", "--server", server.url, "--json"])).json()
          .workspaces as WorkspaceSummary[];
        assert.deepEqual(
          rows.map((w) => [w.name, w.deployment_id !== null]),
          [
            ["default", false],
            ["from-env", true],
            ["from-flag", true],
            ["from-toml", true],
          ],
        );
        // a caxton.toml naming a bad workspace is a validation error with its position
        const bad = await newWorkspace(root, "bad");
        appendFileSync(join(bad, "caxton.toml"), 'workspace = "Bad"\n');
        const v = await runCli(["validate", bad]);
        assert.equal(v.code, 1);
        assert.match(v.stdout + v.stderr, /caxton.toml:4:13: error: invalid workspace name "Bad"/);
      } finally {
        await server.stop();
        cleanup(root);
      }
    });

    test("GC keeps what another workspace's retained deployment reaches", async () => {
      const root = tempDir("caxton-ws-");
      const env = { CAXTON_STATE_DIR: join(root, "state") };
      const data = join(root, "data");
      const server = await startServe({
        dataDir: data,
        env: await serverEnv(backend),
        args: ["--keep", "1", "--gc-grace", "0"],
      });
      try {
        const a = await newWorkspace(root, "a");
        const b = await newWorkspace(root, "b");
        const onlyB = "used by team-b only\n";
        writeFileSync(join(b, "only-b.txt"), onlyB);
        const onlyOldA = "team-a's first version only\n";
        writeFileSync(join(a, "old-a.txt"), onlyOldA);
        const deployTo = async (dir: string, name: string): Promise<void> => {
          const r = await runCli(["deploy", dir, "--server", server.url, "--workspace", name], env);
          assert.equal(r.code, 0, r.stderr);
        };
        await deployTo(b, "b");
        await deployTo(a, "a");
        const hashOf = (text: string): string => createHash("sha256").update(text).digest("hex");
        // the store holds an object iff the admin (no tokens here) can read it
        const held = async (h: string): Promise<boolean> => {
          const res = await fetch(`${server.url}/api/v1/objects/${h}`);
          await res.body?.cancel();
          return res.status === 200;
        };
        assert.ok(await held(hashOf(onlyB)));
        // team-a deploys twice more: its first deployment is pruned and collected (keep 1)
        for (const n of [1, 2]) {
          writeFileSync(join(a, "old-a.txt"), `version ${n}\n`);
          await deployTo(a, "a");
        }
        const deadline = Date.now() + 10_000;
        while ((await held(hashOf(onlyOldA))) && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 50));
        assert.ok(!(await held(hashOf(onlyOldA))), "team-a's pruned content is collected");
        assert.ok(await held(hashOf(onlyB)), "team-b's live content survives team-a's GC");
        if (backend === "file") {
          const file = (h: string): string => join(data, "objects", h.slice(0, 2), h.slice(2));
          assert.ok(existsSync(file(hashOf(onlyB))) && !existsSync(file(hashOf(onlyOldA))));
        }
        const res = await fetch(`${server.url}/api/v1/workspaces/b/objects/${hashOf(onlyB)}`);
        assert.equal(await res.text(), onlyB);
        assert.ok(existsSync(join(data, "workspaces", "b", "current", "only-b.txt")));
        const st = await runCli(["status", b, "--server", server.url, "--workspace", "b", "--json"], env);
        assert.equal(st.json().drift, false, st.stdout);
      } finally {
        await server.stop();
        cleanup(root);
      }
    });

    test("a crash during one workspace's deploy leaves the other workspace untouched", async () => {
      const root = tempDir("caxton-ws-");
      const env = { CAXTON_STATE_DIR: join(root, "state") };
      const data = join(root, "data");
      const serve = await serverEnv(backend);
      const a = await newWorkspace(root, "a");
      const b = await newWorkspace(root, "b");
      let server = await startServe({ dataDir: data, env: serve });
      const da = await runCli(["deploy", a, "--server", server.url, "--workspace", "a", "--json"], env);
      const db = await runCli(["deploy", b, "--server", server.url, "--workspace", "b", "--json"], env);
      assert.equal(da.code + db.code, 0);
      await server.stop();
      const aLink = readlinkSync(join(data, "workspaces", "a", "current"));
      const steps = CRASH_STEPS[backend];
      for (const step of [steps.before, steps.after]) {
        server = await startServe({ dataDir: data, env: { ...serve, CAXTON_FAULT_CRASH_AT: step } });
        writeFileSync(join(b, "crash.txt"), `${step}\n`);
        const crashed = await runCli(["deploy", b, "--server", server.url, "--workspace", "b"], env);
        assert.notEqual(crashed.code, 0);
        await server.stop();
        server = await startServe({ dataDir: data, env: serve });
        try {
          assert.equal(readlinkSync(join(data, "workspaces", "a", "current")), aLink, step);
          const rows = (await runCli(["workspaces", "--server", server.url, "--json"])).json()
            .workspaces as WorkspaceSummary[];
          assert.equal(rows.find((w) => w.name === "a")?.deployment_id, da.json().deployment_id, step);
          const bLive = rows.find((w) => w.name === "b")?.deployment_id;
          const bHasCrash = existsSync(join(data, "workspaces", "b", "current", "crash.txt"));
          // before the swap: the old deployment; after it: the new one, recovered as committed
          assert.equal(bHasCrash, step === steps.after, step);
          if (step === steps.before) assert.equal(bLive, db.json().deployment_id);
          const again = await runCli(["deploy", b, "--server", server.url, "--workspace", "b"], env);
          assert.equal(again.code, 0, again.stderr);
          const st = await runCli(["status", a, "--server", server.url, "--workspace", "a", "--json"], env);
          assert.equal(st.json().drift, false);
        } finally {
          await server.stop();
        }
      }
      cleanup(root);
    });
  });
