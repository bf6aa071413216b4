/**
 * The deployment layout by tree hash: DATA/current resolves (symlinked subfolders, hard-linked files) to
 * exactly the deployed tree for `find -L`, `diff -r` and the live API; a change lays out only the folders it
 * touched and reuses the rest; a reader that opened the old tree before a swap finishes reading it; garbage
 * collection keeps every folder a retained deployment reaches, and removes the others.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { opendirSync, readdirSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, runCli, startServe, tempDir } from "../support/caxton-process.js";
import { snapshot } from "../support/tree-snapshot.js";

const sha = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex");

/** path → sha256 of every file `find -L` sees under `dir`. */
function findL(dir: string): Map<string, string> {
  const out = execFileSync("find", ["-L", ".", "-type", "f"], { cwd: dir, encoding: "utf8" });
  const files = out
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => l.slice(2))
    .sort();
  return new Map(files.map((f) => [f, sha(readFileSync(join(dir, f)))]));
}

describe("deployments laid out by tree hash", () => {
  test("current is exactly the deployed tree; a change reuses unchanged folders; old readers and GC are safe", async () => {
    const root = tempDir();
    const ws = join(root, "ws");
    const data = join(root, "data");
    const env = { CAXTON_STATE_DIR: join(root, "state") };
    const server = await startServe({ dataDir: data, args: ["--keep", "2"] });
    const deploy = async (...extra: string[]): Promise<void> => {
      const r = await runCli(["deploy", ws, "--server", server.url, ...extra], env);
      assert.equal(r.code, 0, r.stderr);
    };
    const liveManifest = async (): Promise<Map<string, string>> => {
      const body = (await (await fetch(`${server.url}/api/v1/deployment/manifest`)).json()) as {
        files: Record<string, string>;
      };
      return new Map(Object.entries(body.files).sort(([a], [b]) => (a < b ? -1 : 1)));
    };
    try {
      assert.equal((await runCli(["init", ws])).code, 0);
      writeFileSync(join(ws, "notes.txt"), "one\n");
      await deploy();
      const current = join(data, "current");
      const v1 = snapshot(ws);
      assert.deepEqual(snapshot(current), v1);
      assert.deepEqual(findL(current), await liveManifest(), "find -L sees exactly the live manifest");
      const diff = spawnSync("diff", ["-r", ws, current], { encoding: "utf8" });
      assert.equal(diff.status, 0, `diff -r finds no difference: ${diff.stdout}${diff.stderr}`);

      // a reader opens the old tree just before the swap
      const oldTools = opendirSync(join(current, "tools"));
      const oldAgentsPath = realpathSync(join(current, "agents"));
      const oldDeployment = realpathSync(current);

      // change one agent: only its folder and the root are laid out anew
      const agent = readdirSync(join(ws, "agents")).find((n) => n.endsWith(".toml"));
      assert.ok(agent);
      const agentPath = join(ws, "agents", agent);
      writeFileSync(agentPath, `${readFileSync(agentPath, "utf8")}\n# two\n`);
      const treesBefore = new Set(readdirSync(join(data, "trees")));
      await deploy();
      const v2 = snapshot(ws);
      assert.deepEqual(snapshot(current), v2);
      assert.deepEqual(findL(current), await liveManifest());
      assert.equal(spawnSync("diff", ["-r", ws, current]).status, 0);
      const added = readdirSync(join(data, "trees")).filter((n) => !treesBefore.has(n));
      assert.equal(added.length, 2, "the changed agents/ folder and the root, nothing else");
      assert.equal(
        realpathSync(join(current, "tools")),
        realpathSync(join(data, "deployments", "00000001", "tools")),
        "the unchanged tools/ folder is the same directory in both deployments",
      );
      assert.notEqual(realpathSync(join(current, "agents")), oldAgentsPath);
      // the old reader finishes: its directory and the old tree are whole
      const names: string[] = [];
      for (let e = oldTools.readSync(); e !== null; e = oldTools.readSync()) names.push(e.name);
      oldTools.closeSync();
      assert.deepEqual(names.sort(), readdirSync(join(ws, "tools")).sort());
      assert.deepEqual(snapshot(oldDeployment), v1, "the previous deployment is still whole after the swap");

      // rollback is a pointer move onto the laid-out tree of #1
      const treesAtRollback = new Set(readdirSync(join(data, "trees")));
      assert.equal((await runCli(["rollback", "--server", server.url], env)).code, 0);
      assert.deepEqual(snapshot(current), v1);
      assert.deepEqual(new Set(readdirSync(join(data, "trees"))), treesAtRollback, "nothing laid out anew");

      // more deployments with --keep 2: GC prunes, every retained deployment stays whole
      const versions = new Map<number, Map<string, string>>();
      for (let i = 3; i <= 6; i++) {
        writeFileSync(join(ws, "notes.txt"), `version ${i}\n`);
        writeFileSync(agentPath, `${readFileSync(agentPath, "utf8")}\n# v${i}\n`);
        await deploy("--force"); // over the rollback
        versions.set(Number(readlinkSync(current).split("/").pop()), snapshot(ws));
      }
      // collection runs off the request's path: wait until retention has pruned down to 2
      for (let i = 0; i < 100 && readdirSync(join(data, "deployments")).length > 2; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 300));
      const kept = readdirSync(join(data, "deployments")).map(Number);
      assert.equal(kept.length, 2);
      for (const id of kept) {
        const expected = versions.get(id);
        if (expected)
          assert.deepEqual(snapshot(join(data, "deployments", String(id).padStart(8, "0"))), expected);
      }
      // the laid-out folders are exactly those the retained deployments reach
      const reached = new Set<string>();
      const walk = (dir: string): void => {
        const real = realpathSync(dir);
        reached.add(real.split("/").pop() ?? "");
        for (const e of readdirSync(real, { withFileTypes: true }))
          if (e.isSymbolicLink()) walk(join(real, e.name));
      };
      for (const id of kept) walk(join(data, "deployments", String(id).padStart(8, "0")));
      assert.deepEqual(new Set(readdirSync(join(data, "trees"))), reached);
      assert.deepEqual(readdirSync(join(data, "tmp")), []);
    } finally {
      await server.stop();
      cleanup(root);
    }
  });
});
