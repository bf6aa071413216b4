/**
 * The npm package carries everything the CLI needs: `npm pack` (its file list) holds the launcher, the
 * bundled CLI, the dashboard, LICENSE and README, and no sources or tests; unpacked as `npm install -g`
 * lays it out (with its dependencies beside it), `caxton --version` and a real deploy work from there.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { cleanup, REPO, runCli, startServe, tempDir } from "../support/caxton-process.js";

test("npm pack ships the built CLI, LICENSE and README; the unpacked package runs", async () => {
  const root = tempDir();
  try {
    // --ignore-scripts: the test run has built dist/ already (prepack builds it for a real `npm pack`)
    const pack = spawnSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", root], {
      cwd: REPO,
      encoding: "utf8",
    });
    assert.equal(pack.status, 0, pack.stderr);
    const [info] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
    assert.ok(info);
    const files = info.files.map((f) => f.path);
    for (const f of [
      "bin/caxton",
      "dist/cli/caxton.cjs",
      "dist/cli/run-cli.js",
      "bin/package.json",
      "dist/dashboard/index.html",
      "LICENSE",
      "README.md",
      "package.json",
    ])
      assert.ok(files.includes(f), `${f} is in the package`);
    assert.ok(
      !files.some((f) => f.startsWith("src/") || f.startsWith("test/") || f.startsWith("dist/test/")),
    );
    assert.match(readFileSync(join(REPO, "LICENSE"), "utf8"), /Apache License\s+Version 2\.0/);
    const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    assert.match(pkg.scripts.prepack ?? "", /build/);

    // the layout of a global install: PREFIX/lib/node_modules/caxton-deploy, dependencies in its node_modules
    const installed = join(root, "lib", "node_modules", "caxton-deploy");
    mkdirSync(installed, { recursive: true });
    const untar = spawnSync("tar", [
      "-xzf",
      join(root, info.filename),
      "-C",
      installed,
      "--strip-components=1",
    ]);
    assert.equal(untar.status, 0);
    symlinkSync(join(REPO, "node_modules"), join(installed, "node_modules"));
    const caxton = join(installed, "bin", "caxton");
    const version = spawnSync(process.execPath, [caxton, "--version"], { encoding: "utf8", cwd: root });
    assert.equal(version.status, 0, version.stderr);
    assert.match(version.stdout, /^caxton \d+\.\d+\.\d+/);
    const ws = join(root, "ws");
    const env = { ...process.env, CAXTON_STATE_DIR: join(root, "state"), NO_COLOR: "1", CAXTON_SERVER: "" };
    assert.equal(spawnSync(process.execPath, [caxton, "init", ws], { env }).status, 0);
    const server = await startServe({ dataDir: join(root, "data"), args: ["--quiet"] });
    try {
      const r = spawnSync(process.execPath, [caxton, "deploy", ws, "--server", server.url], {
        env,
        encoding: "utf8",
      });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /Deployed #1/);
      const st = await runCli(["status", ws, "--server", server.url, "--json"], {
        CAXTON_STATE_DIR: join(root, "state"),
      });
      assert.equal(st.json().in_sync, true, "the repository's CLI and the packaged one share the state");
    } finally {
      await server.stop();
    }
  } finally {
    cleanup(root);
  }
});
