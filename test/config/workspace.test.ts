// Cross-file rules and whole-workspace validation: every problem of every file, at once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatDiagnostic, validateWorkspace, type SourceFile } from "../../src/config/validate-workspace.js";
import { DIAGNOSTIC_CODES } from "../../src/config/diagnostic-codes.js";
import { agent, enc, lines, row, type Row } from "./helpers.js";

const MCP = lines(
  "[servers.git]",
  'command = "mcp-server-git"',
  "[servers.search]",
  'url = "https://s.example/mcp"',
);

function validate(files: Record<string, string>): (Row & unknown[])[] {
  const source: SourceFile[] = Object.entries(files).map(([path, text]) => ({ path, content: enc(text) }));
  return validateWorkspace(source).map((d) => [d.path, ...row(d)] as unknown as Row);
}

/** An agent named `name` using `tools` (line 8, first element at column 14). */
const named = (name: string, ...tools: string[]) =>
  agent({ 1: `name = "${name}"`, 8: `available = [${tools.map((t) => `"${t}"`).join(", ")}]` });

test("cross-file: a valid workspace has no diagnostics", () => {
  assert.deepEqual(
    validate({
      "caxton.toml": lines("[deploy]", 'server = "http://127.0.0.1:8080"'),
      "agents/coordinator.toml": named(
        "coordinator",
        "mcp__git__git_diff",
        "mcp__search__query",
        "read_file",
      ),
      "agents/researcher/agent.toml": named("researcher"),
      "agents/researcher/notes.toml": named("notes"),
      "tools/mcp_servers.toml": MCP,
      "README.md": "not config",
    }),
    [],
  );
});

test("cross-file: duplicate agent names are reported on each file, naming the others", () => {
  assert.deepEqual(
    validate({
      "agents/a.toml": named("dup"),
      "agents/b/agent.toml": named("dup"),
      "agents/c.toml": named("dup"),
      "agents/d.toml": named("unique"),
    }),
    [
      [
        "agents/a.toml",
        "E_DUPLICATE_AGENT",
        1,
        8,
        'duplicate agent name "dup": also defined in agents/b/agent.toml, agents/c.toml',
        "agent names must be unique across the workspace; rename one of them",
      ],
      [
        "agents/b/agent.toml",
        "E_DUPLICATE_AGENT",
        1,
        8,
        'duplicate agent name "dup": also defined in agents/a.toml, agents/c.toml',
        "agent names must be unique across the workspace; rename one of them",
      ],
      [
        "agents/c.toml",
        "E_DUPLICATE_AGENT",
        1,
        8,
        'duplicate agent name "dup": also defined in agents/a.toml, agents/b/agent.toml',
        "agent names must be unique across the workspace; rename one of them",
      ],
    ],
  );
});

test("cross-file: more than three duplicates are summarised", () => {
  const files = Object.fromEntries([1, 2, 3, 4, 5].map((i) => [`agents/a${i}.toml`, named("dup")]));
  const first = validate(files)[0];
  assert.equal(
    first?.[4],
    'duplicate agent name "dup": also defined in agents/a2.toml, agents/a3.toml, agents/a4.toml and 1 more',
  );
});

test("cross-file: an MCP tool must name a defined server", () => {
  assert.deepEqual(
    validate({
      "agents/a.toml": named("alpha", "mcp__gti__git_diff", "mcp__jira__search", "mcp__git__ok"),
      "tools/mcp_servers.toml": MCP,
    }),
    [
      [
        "agents/a.toml",
        "E_UNKNOWN_MCP_SERVER",
        8,
        14,
        "tool `mcp__gti__git_diff` names MCP server `gti`, which tools/mcp_servers.toml does not define",
        "did you mean `mcp__git__git_diff`?",
      ],
      [
        "agents/a.toml",
        "E_UNKNOWN_MCP_SERVER",
        8,
        36,
        "tool `mcp__jira__search` names MCP server `jira`, which tools/mcp_servers.toml does not define",
        "define it in tools/mcp_servers.toml as [servers.jira] with `command` or `url`",
      ],
    ],
  );
});

test("cross-file: without tools/mcp_servers.toml every MCP tool is an error", () => {
  assert.deepEqual(validate({ "agents/a.toml": named("alpha", "read_file", "mcp__git__git_diff") }), [
    [
      "agents/a.toml",
      "E_UNKNOWN_MCP_SERVER",
      8,
      27,
      "tool `mcp__git__git_diff` names MCP server `git`, but tools/mcp_servers.toml does not exist",
      "create tools/mcp_servers.toml with a [servers.git] table that sets `command` or `url`",
    ],
  ]);
});

test("cross-file: an unparsable tools/mcp_servers.toml reports its own error only", () => {
  assert.deepEqual(
    validate({ "agents/a.toml": named("alpha", "mcp__git__x"), "tools/mcp_servers.toml": "[servers.git\n" }),
    [["tools/mcp_servers.toml", "E_TOML_SYNTAX", 1, 13, "invalid TOML: illegal character in key", null]],
  );
});

test("cross-file: servers that are defined but invalid still count as defined (no cascade)", () => {
  const got = validate({
    "agents/a.toml": named("alpha", "mcp__git__x"),
    "tools/mcp_servers.toml": "[servers.git]\n",
  });
  assert.deepEqual(
    got.map((d) => d[1]),
    ["E_MCP_NO_TRANSPORT"],
  );
});

test("cross-file: a server name ending in _ can be referenced", () => {
  const mcp = lines("[servers.my_]", 'command = "x"');
  assert.deepEqual(
    validate({ "agents/a.toml": named("alpha", "mcp__my___tool"), "tools/mcp_servers.toml": mcp }),
    [],
  );
});

test("workspace: several broken files report every error at once, sorted, in compiler form", () => {
  const diagnostics = validateWorkspace(
    Object.entries({
      "agents/coordinator.toml": agent(
        { 1: 'name = "Coordinator"', 4: null },
        "[memory]",
        'system_prompt = "x"',
        "scope = 1",
      ),
      "agents/reviewer.toml": agent(
        { 2: 'version = "1.0"', 8: 'available = ["mcp__gti__diff"]' },
        "[llm]",
        'provider = "local"',
        'model = "m"',
        "temprature = 1",
      ),
      "agents/dup-one.toml": agent({ 1: 'name = "twin"' }),
      "agents/dup-two.toml": agent({ 1: 'name = "twin"' }),
      "agents/broken.toml": 'name = "x\n',
      "tools/mcp_servers.toml": lines("[servers.git]", 'url = "ftp://x"'),
      "caxton.toml": lines("[deploy]", "server = 8080"),
    }).map(([path, text]) => ({ path, content: enc(text) })),
  );
  assert.deepEqual(diagnostics.map(formatDiagnostic), [
    "agents/broken.toml:1:10: error: invalid TOML: control characters are not allowed in strings",
    'agents/coordinator.toml:1:8: error: invalid agent name "Coordinator": must match ^[a-z][a-z0-9-]*[a-z0-9]$ with no "--"\n  help: use lowercase letters, digits and single hyphens, e.g. "coordinator"',
    "agents/coordinator.toml:9:1: error: missing required key `system_prompt`\n  help: `system_prompt` on line 9 comes after the [memory] header on line 8, so TOML reads it as `memory.system_prompt`; move it above the first table header (line 6)",
    'agents/coordinator.toml:10:9: error: `memory.scope` must be one of "agent", "conversation", "global", found 1',
    'agents/dup-one.toml:1:8: error: duplicate agent name "twin": also defined in agents/dup-two.toml\n  help: agent names must be unique across the workspace; rename one of them',
    'agents/dup-two.toml:1:8: error: duplicate agent name "twin": also defined in agents/dup-one.toml\n  help: agent names must be unique across the workspace; rename one of them',
    'agents/reviewer.toml:2:11: error: invalid version "1.0": expected MAJOR.MINOR.PATCH, each a non-negative integer up to 4294967295\n  help: use "1.0.0"',
    "agents/reviewer.toml:8:14: error: tool `mcp__gti__diff` names MCP server `gti`, which tools/mcp_servers.toml does not define\n  help: did you mean `mcp__git__diff`?",
    "agents/reviewer.toml:12:1: warning: unknown key `llm.temprature`\n  help: did you mean `temperature`?",
    "caxton.toml:2:10: error: `deploy.server` must be a string, found integer",
    'tools/mcp_servers.toml:2:7: error: invalid URL "ftp://x" in `servers.git.url`: must be an http or https URL\n  help: e.g. "https://search.example.com/mcp"',
  ]);
  // Every diagnostic is a full JSON object as `caxton validate --json` prints it.
  assert.deepEqual(diagnostics[0], {
    path: "agents/broken.toml",
    line: 1,
    column: 10,
    severity: "error",
    code: "E_TOML_SYNTAX",
    message: "invalid TOML: control characters are not allowed in strings",
    suggestion: null,
  });
});

test("workspace: every diagnostic code is documented and has the severity its prefix says", () => {
  for (const code of Object.keys(DIAGNOSTIC_CODES)) assert.match(code, /^(E|W)_[A-Z0-9_]+$/);
});
