/**
 * History as a feature: log (with who and git facts), rollback by default/id/checksum, diff against the
 * server, retention; and concurrency: 8 CLI processes deploying at once end with exactly one of their trees.
 * Both stores: the file store and PostgreSQL (where a data dir keeps only the live tree and the one before).
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, runCli, startServe, tempDir } from "../support/caxton-process.js";
import { snapshot } from "../support/tree-snapshot.js";
import { serverEnv, STORE_BACKENDS, stopBackends } from "../support/store-backends.js";

after(() => stopBackends());

for (const backend of STORE_BACKENDS) {
  describe(`log, rollback, diff (${backend} store)`, () => {
    test("history lists deployments with author and git facts; rollback is recorded and learned locally", async () => {
      const root = tempDir();
      const ws = join(root, "ws");
      const env = { CAXTON_STATE_DIR: join(root, "state") };
      const server = await startServe({
        dataDir: join(root, "data"),
        env: await serverEnv(backend),
        args: ["--keep", "3"],
      });
      try {
        assert.equal((await runCli(["init", ws])).code, 0);
        const git = (...args: string[]) =>
          execFileSync("git", ["-C", ws, "-c", "user.email=t@example.com", "-c", "user.name=T", ...args], {
            encoding: "utf8",
          });
        git("init", "-q", "-b", "main");
        git("add", "-A");
        git("commit", "-qm", "initial");
        const commit = git("rev-parse", "HEAD").trim();
        const d1 = await runCli(["deploy", ws, "--server", server.url, "--as", "alice", "-m", "first"], env);
        assert.equal(d1.code, 0, d1.stderr);
        const v1 = new Map([...snapshot(ws)].filter(([k]) => !k.startsWith(".git/")));
        writeFileSync(join(ws, "extra.txt"), "two\n");
        assert.equal((await runCli(["deploy", ws, "--server", server.url], env)).code, 0);

        const log = await runCli(["log", "--server", server.url, "--json"]);
        const { deployments } = log.json() as {
          deployments: {
            id: number;
            kind: string;
            deployed_by: string;
            message: string | null;
            git: { commit: string; branch: string; dirty: boolean } | null;
            checksum: string;
          }[];
        };
        assert.equal(deployments.length, 2);
        assert.equal(deployments[1]?.deployed_by, "alice");
        assert.equal(deployments[1]?.message, "first");
        assert.deepEqual(deployments[1]?.git, { commit, branch: "main", dirty: false });
        assert.equal(deployments[0]?.git?.dirty, true, "extra.txt is untracked");
        const human = await runCli(["log", "--server", server.url, "-n", "1"]);
        assert.match(human.stdout, /#2 [0-9a-f]{12} \(live\)/);

        // diff asks the server, with a git-style patch for text files; exit 1: there are differences
        writeFileSync(join(ws, "extra.txt"), "three\n");
        const diff = await runCli(["diff", ws, "--server", server.url], env);
        assert.equal(diff.code, 1);
        assert.match(diff.stdout, /^diff --git a\/extra\.txt b\/extra\.txt$/m);
        assert.match(diff.stdout, /^--- a\/extra\.txt$/m);
        assert.match(diff.stdout, /^-two$/m);
        assert.match(diff.stdout, /^\+three$/m);

        // rollback (default: the previous deployment), run inside the workspace
        const rb = await runCli(["rollback", "--server", server.url, "--json"], env, ws);
        assert.equal(rb.code, 0, rb.stderr);
        assert.equal(
          (rb.json() as { round_trips: number }).round_trips,
          2,
          "rollback + learning the live manifest",
        );
        const data = join(root, "data", "current");
        assert.deepEqual(snapshot(data), v1);
        const st = await runCli(["status", ws, "--server", server.url, "--json"], env);
        assert.deepEqual(
          (st.json() as { added: string[] }).added,
          ["extra.txt"],
          "status compares with the rolled-back state",
        );
        const after = (await runCli(["log", "--server", server.url, "--json"])).json() as {
          deployments: { id: number; kind: string; rollback_of: number | null }[];
        };
        assert.equal(after.deployments[0]?.kind, "rollback");
        assert.equal(after.deployments[0]?.rollback_of, 1);

        // by checksum prefix
        const target = deployments[0]?.checksum.slice(0, 10) as string;
        assert.equal((await runCli(["rollback", target, "--server", server.url], env, ws)).code, 0);
        assert.equal(snapshot(data).get("extra.txt"), Buffer.from("two\n").toString("base64"));
        const unknown = await runCli(["rollback", "999", "--server", server.url], env, ws);
        assert.equal(unknown.code, 5, "no such deployment has its own exit code");
        assert.match(unknown.stderr, /no deployment 999/);

        // retention: keep 3 — the oldest is pruned and says so
        assert.equal((await runCli(["deploy", ws, "--server", server.url], env)).code, 0);
        await new Promise((r) => setTimeout(r, 200)); // collection runs right after the commit
        const kept = (await runCli(["log", "--server", server.url, "--json"])).json() as {
          deployments: { id: number }[];
        };
        assert.deepEqual(
          kept.deployments.map((d) => d.id),
          [5, 4, 3],
        );
        const trees = readdirSync(join(root, "data", "deployments")).map(Number);
        if (backend === "file") assert.deepEqual(trees, [3, 4, 5]);
        else assert.deepEqual(trees, [4, 5], "a replica keeps the live tree and the one it replaced");
        const pruned = await runCli(["rollback", "1", "--server", server.url], env, ws);
        assert.match(pruned.stderr, /pruned/);
      } finally {
        await server.stop();
        cleanup(root);
      }
    });
  });

  describe(`concurrency (${backend} store)`, () => {
    test("8 concurrent deploys are serialised: each atomic, the final tree is exactly one of them", async () => {
      const root = tempDir();
      const server = await startServe({ dataDir: join(root, "data"), env: await serverEnv(backend) });
      try {
        const base = join(root, "base");
        assert.equal((await runCli(["init", base])).code, 0);
        const trees: Map<string, string>[] = [];
        const runs = [];
        for (let i = 0; i < 8; i++) {
          const ws = join(root, `ws-${i}`);
          cpSync(base, ws, { recursive: true });
          writeFileSync(join(ws, "who.txt"), `client ${i}\n`);
          writeFileSync(join(ws, `only-${i}.txt`), `${i}`.repeat(1000 * (i + 1)));
          trees.push(snapshot(ws));
          runs.push(
            runCli(["deploy", ws, "--server", server.url, "--json"], {
              CAXTON_STATE_DIR: join(root, `state-${i}`),
            }),
          );
        }
        const results = await Promise.all(runs);
        for (const r of results) assert.equal(r.code, 0, r.stderr + r.stdout);
        const live = JSON.stringify([...snapshot(join(root, "data", "current"))]);
        assert.equal(
          trees.filter((t) => JSON.stringify([...t]) === live).length,
          1,
          "current is exactly one submitted tree",
        );
        // every deployment in history is complete: each tree dir equals one of the submitted trees
        const log = (await runCli(["log", "--server", server.url, "--json"])).json() as {
          deployments: unknown[];
        };
        assert.equal(log.deployments.length, 8, "every deploy is in the history");
        const dirs = readdirSync(join(root, "data", "deployments"));
        assert.equal(dirs.length, backend === "file" ? 8 : 2);
        for (const d of dirs) {
          const tree = JSON.stringify([...snapshot(join(root, "data", "deployments", d))]);
          assert.ok(
            trees.some((t) => JSON.stringify([...t]) === tree),
            `deployment ${d} is one whole submitted tree`,
          );
        }
      } finally {
        await server.stop();
        cleanup(root);
      }
    });
  });
}
