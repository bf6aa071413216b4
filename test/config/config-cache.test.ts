// The server's cache: same answers as validateWorkspace, but only files with a new checksum are loaded.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { ConfigCache, type CacheEntry } from "../../src/config/config-cache.js";
import { validateWorkspace } from "../../src/config/validate-workspace.js";
import { agent, enc, lines } from "./helpers.js";

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** Entries over a map of texts, counting loads per path. */
function entries(files: Record<string, string>, loads: string[] = []): CacheEntry[] {
  return Object.entries(files).map(([path, text]) => {
    const content = enc(text);
    return {
      path,
      checksum: sha(content),
      load: () => {
        loads.push(path);
        return content;
      },
    };
  });
}

const MCP = lines("[servers.git]", 'command = "mcp-server-git"');
const named = (name: string) => agent({ 1: `name = "${name}"`, 8: 'available = ["mcp__git__git_diff"]' });

function workspace(n: number): Record<string, string> {
  const files: Record<string, string> = { "tools/mcp_servers.toml": MCP, "README.md": "# hi" };
  for (let i = 0; i < n; i++) files[`agents/agent-${i}.toml`] = named(`agent-${i}`);
  return files;
}

test("cache: same diagnostics as validateWorkspace", () => {
  const files = {
    ...workspace(3),
    "agents/bad.toml": agent({ 1: 'name = "agent-0"', 2: 'version = "x"' }),
    "caxton.toml": "[deploy]\nserver = 1\n",
  };
  const expected = validateWorkspace(Object.entries(files).map(([path, t]) => ({ path, content: enc(t) })));
  assert.ok(expected.length >= 3);
  assert.deepEqual(new ConfigCache().validateWithCache(entries(files)).diagnostics, expected);
});

test("cache: a one-file change loads and parses one file", () => {
  const cache = new ConfigCache();
  const files = workspace(100);
  const loads: string[] = [];
  const first = cache.validateWithCache(entries(files, loads));
  assert.deepEqual(first.diagnostics, []);
  assert.equal(first.agents.length, 100);
  assert.equal(loads.length, 101, "every config file once; README.md never");

  loads.length = 0;
  cache.validateWithCache(entries(files, loads));
  assert.deepEqual(loads, []);

  files["agents/agent-7.toml"] = agent({ 1: 'name = "agent-8"', 8: 'available = ["read_file"]' }); // a duplicate
  const third = cache.validateWithCache(entries(files, loads));
  assert.deepEqual(loads, ["agents/agent-7.toml"]);
  assert.deepEqual(
    third.diagnostics.map((d) => [d.path, d.code, d.message]),
    [
      [
        "agents/agent-7.toml",
        "E_DUPLICATE_AGENT",
        'duplicate agent name "agent-8": also defined in agents/agent-8.toml',
      ],
      [
        "agents/agent-8.toml",
        "E_DUPLICATE_AGENT",
        'duplicate agent name "agent-8": also defined in agents/agent-7.toml',
      ],
    ],
  );
  assert.deepEqual(cache.stats(), { size: 102, hits: 101 + 100, misses: 102 });
});

test("cache: identical content at two paths is parsed once and reported at each path", () => {
  const cache = new ConfigCache();
  const loads: string[] = [];
  const text = agent({ 2: 'version = "1"' });
  const r = cache.validateWithCache(entries({ "agents/a.toml": text, "agents/b/agent.toml": text }, loads));
  assert.equal(loads.length, 1);
  assert.deepEqual(
    r.diagnostics.map((d) => [d.path, d.code, d.line, d.column]),
    [
      ["agents/a.toml", "E_DUPLICATE_AGENT", 1, 8],
      ["agents/a.toml", "E_AGENT_BAD_VERSION", 2, 11],
      ["agents/b/agent.toml", "E_DUPLICATE_AGENT", 1, 8],
      ["agents/b/agent.toml", "E_AGENT_BAD_VERSION", 2, 11],
    ],
  );
});

test("cache: the same bytes are analysed per kind (an agent under agents/, plain TOML elsewhere)", () => {
  const cache = new ConfigCache();
  const r = cache.validateWithCache(entries({ "agents/a.toml": "x = 1\n", "other/a.toml": "x = 1\n" }));
  assert.deepEqual(
    r.diagnostics.filter((d) => d.severity === "error").map((d) => d.path),
    Array(6).fill("agents/a.toml"),
  );
});

test("cache: bounded, least recently used entries go first", () => {
  const cache = new ConfigCache(2);
  const loads: string[] = [];
  const files = {
    "agents/a.toml": named("a-a"),
    "agents/b.toml": named("b-b"),
    "agents/c.toml": named("c-c"),
  };
  const [a, b, c] = entries(files, loads);
  cache.analyze(a!);
  cache.analyze(b!);
  cache.analyze(a!); // a is now the most recent
  cache.analyze(c!); // evicts b
  assert.equal(cache.stats().size, 2);
  cache.analyze(a!);
  cache.analyze(b!);
  assert.deepEqual(loads, ["agents/a.toml", "agents/b.toml", "agents/c.toml", "agents/b.toml"]);
});

test("cache: agents are listed with their normalized config", () => {
  const files = {
    "tools/mcp_servers.toml": MCP,
    "agents/z.toml": named("zed"),
    "agents/bad.toml": "name = 1\n",
  };
  const r = new ConfigCache().validateWithCache(entries(files));
  const z = entries(files)[1]!;
  assert.deepEqual(r.agents, [
    {
      name: "zed",
      version: "1.0.0",
      path: "agents/z.toml",
      checksum: z.checksum,
      capabilities: ["code_analysis"],
      tools: ["mcp__git__git_diff"],
      template_variables: { system_prompt: [], user_prompt_template: [] },
      config: {
        name: "zed",
        version: "1.0.0",
        capabilities: ["code_analysis"],
        system_prompt: "You review code.",
        user_prompt_template: "Review: {diff}",
        tools: { available: ["mcp__git__git_diff"] },
        memory: { enabled: true, context_window: 4000, scope: "agent" },
        conversation: { max_turns: 50, timeout_seconds: 300 },
      },
    },
  ]);
});
