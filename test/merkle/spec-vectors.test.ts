import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { buildTree } from "../../src/merkle/build-tree.js";
import { sha256Hex, EMPTY_SHA256 } from "../../src/merkle/sha256.js";
import { REPO } from "../support/caxton-process.js";

// docs/workspace-hash.md, workspace v1
const v1 = new Map<string, string>([
  ["agents/coordinator.toml", sha256Hex(Buffer.from('name = "coordinator"\n'))],
  ["agents/researcher.toml", sha256Hex(Buffer.from('name = "researcher"\n'))],
  ["tools/mcp_servers.toml", sha256Hex(Buffer.from('[servers.fs]\ncommand = "mcp-fs"\n'))],
]);

test("spec vectors: blob hashes", () => {
  assert.equal(
    v1.get("agents/coordinator.toml"),
    "a989a829909e63aeef22ed15198c9d82082c95ddce60b469d9701befe788fd0f",
  );
  assert.equal(
    v1.get("agents/researcher.toml"),
    "802afc559535d7b94aca60ebb4e7cd7ca1a980d03fa6d8ea37b84d39089835bb",
  );
  assert.equal(
    v1.get("tools/mcp_servers.toml"),
    "b072a5574dd381cafaf0131c2ccc0b46dac2e4a754afe8cbec4d88e755c1744e",
  );
});

test("spec vectors: tree hashes and root", () => {
  const tree = buildTree(v1);
  assert.equal(
    tree.trees.get("agents")?.hash,
    "b50233a13d34d6181762da6717c8657569a8106bc2a6844ffbcba171e82d4c43",
  );
  assert.equal(
    tree.trees.get("tools")?.hash,
    "b6ba5b0444c2b0253e99fdc76d75afdbafd152934edb0939363e8f662eb218f9",
  );
  assert.equal(tree.root, "da06d1ab0f06699a44f7ecf0bc61ccdbd9eaa93e1293fac54abe7fe69071a98a");
});

test("spec vectors: rename changes the root", () => {
  const renamed = new Map(v1);
  const h = renamed.get("agents/researcher.toml") as string;
  renamed.delete("agents/researcher.toml");
  renamed.set("agents/analyst.toml", h);
  assert.equal(buildTree(renamed).root, "83bf2bce21ff0d5380d4a2b12dbb0abce0bcd04868964734612270f1ac48750c");
});

test("spec vectors: empty workspace", () => {
  assert.equal(buildTree(new Map()).root, EMPTY_SHA256);
});

test("docs/workspace-hash.md: every checksum in its vector table is what the code computes", () => {
  const doc = readFileSync(join(REPO, "docs", "workspace-hash.md"), "utf8");
  const rows = [...doc.matchAll(/^\| (\S[^|]*?) +\| (blob|tree) +\| ([0-9a-f]{64}) \|$/gm)];
  assert.equal(rows.length, 6, "the node table has six rows");
  const tree = buildTree(v1);
  for (const [, node, kind, checksum] of rows) {
    const path = node === "(root)" ? "" : (node as string);
    const actual = kind === "blob" ? v1.get(path) : tree.trees.get(path)?.hash;
    assert.equal(actual, checksum, `${node} in docs/workspace-hash.md`);
  }
  const renamed = new Map([...v1].map(([p, h]) => [p.replace("researcher", "analyst"), h]));
  assert.match(doc, new RegExp(`gives the root\\s+\`${buildTree(renamed).root}\``));
});
