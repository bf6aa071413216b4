/**
 * The workspace boundary and the server's name rules, applied while scanning: links that leave the
 * workspace, names the server refuses, names that clash on case-insensitive systems, files removed while
 * the scan runs.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { scanWorkspace } from "../../src/workspace/scan-workspace.js";
import { assertCaxtonError, withTempDir, writeFiles } from "./helpers.js";

test("a link to a file outside the workspace is E_SYMLINK naming the link and its target", async () => {
  await withTempDir((base) => {
    const ws = join(base, "ws");
    writeFiles(ws, { "agents/a.toml": 'name = "a"\n' });
    symlinkSync("/etc/passwd", join(ws, "agents/passwd.md"));
    assertCaxtonError(
      () => scanWorkspace(ws),
      "E_SYMLINK",
      /agents\/passwd\.md: .*\/etc\/passwd, outside the workspace/,
    );
  });
});

test("a link to a folder outside, or a relative link climbing out, is E_SYMLINK", async () => {
  await withTempDir((base) => {
    writeFiles(base, { "outside/secret.txt": "s\n" });
    const ws = join(base, "ws");
    writeFiles(ws, { "a.txt": "a\n" });
    symlinkSync(join(base, "outside"), join(ws, "shared"));
    assertCaxtonError(() => scanWorkspace(ws), "E_SYMLINK", /shared: .*outside the workspace/);
    rmSync(join(ws, "shared"));
    symlinkSync("../outside/secret.txt", join(ws, "up.txt"));
    assertCaxtonError(() => scanWorkspace(ws), "E_SYMLINK", /up\.txt/);
  });
});

test("links inside the workspace are followed; an ignored outside link is not an error", async () => {
  await withTempDir((base) => {
    const ws = join(base, "ws");
    writeFiles(ws, { "agents/a.toml": 'name = "a"\n', ".caxtonignore": "passwd\n" });
    symlinkSync("a.toml", join(ws, "agents/b.toml"));
    symlinkSync("agents", join(ws, "again"));
    symlinkSync("/etc/passwd", join(ws, "passwd"));
    const scan = scanWorkspace(ws);
    assert.deepEqual([...scan.manifest.keys()].sort(), [
      ".caxtonignore",
      "again/a.toml",
      "again/b.toml",
      "agents/a.toml",
      "agents/b.toml",
    ]);
  });
});

test("caxton.toml's [workspace] allow_links_to lets links lead into the folders it names, only those", async () => {
  await withTempDir((base) => {
    writeFiles(base, { "shared/prompt.md": "shared\n", "other/x.md": "x\n" });
    const ws = join(base, "ws");
    writeFiles(ws, { "caxton.toml": '[workspace]\nallow_links_to = ["../shared"]\n' });
    symlinkSync(join(base, "shared/prompt.md"), join(ws, "prompt.md"));
    symlinkSync(join(base, "shared"), join(ws, "common"));
    assert.deepEqual([...scanWorkspace(ws).manifest.keys()].sort(), [
      "caxton.toml",
      "common/prompt.md",
      "prompt.md",
    ]);
    symlinkSync(join(base, "other/x.md"), join(ws, "x.md"));
    assertCaxtonError(() => scanWorkspace(ws), "E_SYMLINK", /x\.md/);
    // a folder named beside the workspace's own path does not widen it: "shared-evil" is not "shared"
    writeFiles(base, { "shared-evil/y.md": "y\n" });
    rmSync(join(ws, "x.md"));
    symlinkSync(join(base, "shared-evil/y.md"), join(ws, "y.md"));
    assertCaxtonError(() => scanWorkspace(ws), "E_SYMLINK", /y\.md/);
  });
});

test("names the server refuses (newline, tab, backslash, DEL) are E_UNSAFE_PATH before any request", async () => {
  for (const name of ["a\nb.md", "tab\there.md", "back\\slash.md", "del\u007f.md"]) {
    await withTempDir((ws) => {
      writeFiles(ws, { "agents/ok.toml": 'name = "ok"\n' });
      mkdirSync(join(ws, "docs"));
      writeFileSync(join(ws, "docs", name), "x\n");
      assertCaxtonError(() => scanWorkspace(ws), "E_UNSAFE_PATH", /docs\/.*the server refuses this name/);
      writeFileSync(join(ws, ".caxtonignore"), "docs/\n");
      assert.ok(!scanWorkspace(ws).manifest.has(`docs/${name}`), "an ignored name is not checked");
    });
  }
});

test("names equal after case folding or NFC in one folder are E_UNSAFE_PATH; in different folders fine", async () => {
  await withTempDir((ws) => {
    writeFiles(ws, { "a/README.md": "1\n", "a/readme.md": "2\n" });
    assertCaxtonError(
      () => scanWorkspace(ws),
      "E_UNSAFE_PATH",
      /README\.md.*readme\.md|readme\.md.*README\.md/,
    );
  });
  await withTempDir((ws) => {
    writeFiles(ws, { "caf\u00e9.md": "1\n", "cafe\u0301.md": "2\n" });
    assertCaxtonError(() => scanWorkspace(ws), "E_UNSAFE_PATH", /normalisation/);
  });
  await withTempDir((ws) => {
    writeFiles(ws, { "a/README.md": "1\n", "b/readme.md": "2\n", "Docs/x.md": "3\n" });
    mkdirSync(join(ws, "docs")); // empty: not in the tree, so no clash with Docs/
    assert.equal(scanWorkspace(ws).manifest.size, 3);
  });
});

test("a file removed while the scan runs is reported as removed, not as a dangling link", async () => {
  await withTempDir((ws) => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 1500; i++) files[`f${i}.txt`] = `${i}\n`;
    writeFiles(ws, files);
    let removed = false;
    const err = assertCaxtonError(
      () =>
        scanWorkspace(ws, {
          onProgress: () => {
            if (removed) return;
            removed = true; // after the first 1,000 files: everything goes, the listing still names it
            for (const name of Object.keys(files)) rmSync(join(ws, name), { force: true });
          },
        }),
      "E_WORKSPACE",
      /f\d+\.txt: removed while the workspace was being scanned/,
    );
    assert.doesNotMatch(err.message, /dangling/);
  });
});
