// Table tests for tools/mcp_servers.toml, caxton.toml and other files: exact code, position, message, suggestion.
import { test } from "node:test";
import assert from "node:assert/strict";
import { classifyPath } from "../../src/config/analyze-file.js";
import { lines, runCases, type Case } from "./helpers.js";

const M = "tools/mcp_servers.toml";
const S = "caxton.toml";
const NAME_RULE = 'must match ^[a-z][a-z0-9_]*$ with no "__"';
const NO_TRANSPORT_FIX = 'add `command = "..."` for a stdio server or `url = "https://..."` for a remote one';

const cases: Case[] = [
  // ---- tools/mcp_servers.toml ----
  [
    "valid servers (the spec's example)",
    M,
    lines(
      "[servers.git]",
      'command = "mcp-server-git"',
      'args = ["--repo", "/srv/repo"]',
      'env = { GIT_AUTHOR = "caxton" }',
      "",
      "[servers.search]",
      'url = "https://search.example.com/mcp"',
    ),
    [],
  ],
  ["empty file: no servers", M, "", []],
  [
    "server name with capitals and a hyphen",
    M,
    lines("[servers.My-Git]", 'command = "x"'),
    [
      [
        "E_MCP_BAD_SERVER_NAME",
        1,
        1,
        `invalid MCP server name "My-Git": ${NAME_RULE}`,
        "use lowercase letters, digits and single underscores, e.g. [servers.my_git]",
      ],
    ],
  ],
  [
    "server name with __",
    M,
    lines("[servers.a__b]", 'command = "x"'),
    [
      [
        "E_MCP_BAD_SERVER_NAME",
        1,
        1,
        `invalid MCP server name "a__b": ${NAME_RULE}`,
        "use lowercase letters, digits and single underscores, e.g. [servers.a_b]",
      ],
    ],
  ],
  [
    "quoted server name with a space",
    M,
    lines('[servers."my server"]', 'command = "x"'),
    [
      [
        "E_MCP_BAD_SERVER_NAME",
        1,
        1,
        `invalid MCP server name "my server": ${NAME_RULE}`,
        "use lowercase letters, digits and single underscores, e.g. [servers.my_server]",
      ],
    ],
  ],
  [
    "neither command nor url",
    M,
    lines("[servers.git]", "args = []"),
    [["E_MCP_NO_TRANSPORT", 1, 1, "MCP server `git` has neither `command` nor `url`", NO_TRANSPORT_FIX]],
  ],
  [
    "both command and url",
    M,
    lines("[servers.git]", 'command = "x"', 'url = "https://x.example"'),
    [
      [
        "E_MCP_BOTH_TRANSPORTS",
        3,
        1,
        "MCP server `git` has both `command` and `url`",
        "keep `command` for a stdio server or `url` for a remote one, not both",
      ],
    ],
  ],
  ...["ftp://x", "not a url", "https://"].map((url): Case => [
    `bad url ${url}`,
    M,
    lines("[servers.s]", `url = "${url}"`),
    [
      [
        "E_MCP_BAD_URL",
        2,
        7,
        `invalid URL ${JSON.stringify(url)} in \`servers.s.url\`: must be an http or https URL`,
        'e.g. "https://search.example.com/mcp"',
      ],
    ],
  ]),
  [
    "empty command",
    M,
    lines("[servers.git]", 'command = " "'),
    [["E_MCP_BAD_VALUE", 2, 11, "`servers.git.command` must not be empty", null]],
  ],
  [
    "args not an array",
    M,
    lines("[servers.git]", 'command = "x"', 'args = "--x"'),
    [["E_MCP_BAD_TYPE", 3, 8, "`servers.git.args` must be an array, found string", null]],
  ],
  [
    "args element not a string",
    M,
    lines("[servers.git]", 'command = "x"', 'args = ["a", 1]'),
    [["E_MCP_BAD_TYPE", 3, 14, "`servers.git.args[1]` must be a string, found integer", null]],
  ],
  [
    "env value not a string",
    M,
    lines("[servers.git]", 'command = "x"', "env = { A = 1 }"),
    [["E_MCP_BAD_TYPE", 3, 13, "`servers.git.env.A` must be a string, found integer", null]],
  ],
  [
    "server not a table",
    M,
    lines("[servers]", 'git = "x"'),
    [["E_MCP_BAD_TYPE", 2, 7, "`servers.git` must be a table, found string", null]],
  ],
  [
    "servers not a table",
    M,
    "servers = 1\n",
    [["E_MCP_BAD_TYPE", 1, 11, "`servers` must be a table, found integer", null]],
  ],
  [
    "typo in a server key",
    M,
    lines("[servers.git]", 'comand = "x"'),
    [
      ["E_MCP_NO_TRANSPORT", 1, 1, "MCP server `git` has neither `command` nor `url`", NO_TRANSPORT_FIX],
      ["W_UNKNOWN_KEY", 2, 1, "unknown key `servers.git.comand`", "did you mean `command`?"],
    ],
  ],
  [
    "[server.x] instead of [servers.x]",
    M,
    lines("[server.git]", 'command = "x"'),
    [["W_UNKNOWN_KEY", 1, 1, "unknown key `server`", "did you mean `servers`?"]],
  ],
  [
    "args on a url server",
    M,
    lines("[servers.s]", 'url = "https://s.example"', 'args = ["x"]'),
    [
      [
        "W_MCP_UNUSED_KEY",
        3,
        1,
        "`servers.s.args` is ignored: `s` is a url server, not a stdio one",
        "remove `args`, or use `command` instead of `url`",
      ],
    ],
  ],

  // ---- caxton.toml ----
  ["valid settings", S, lines("[deploy]", 'server = "http://127.0.0.1:8080"'), []],
  ["empty settings", S, "", []],
  [
    "server not a string",
    S,
    lines("[deploy]", "server = 3"),
    [["E_SETTINGS_BAD_TYPE", 2, 10, "`deploy.server` must be a string, found integer", null]],
  ],
  [
    "server not an http URL",
    S,
    lines("[deploy]", 'server = "localhost:8080"'),
    [
      [
        "E_SETTINGS_BAD_URL",
        2,
        10,
        'invalid URL "localhost:8080" in `deploy.server`: must be an http or https URL',
        'e.g. "http://127.0.0.1:8080"',
      ],
    ],
  ],
  [
    "deploy not a table",
    S,
    'deploy = "x"\n',
    [["E_SETTINGS_BAD_TYPE", 1, 10, "`deploy` must be a table, found string", null]],
  ],
  [
    "unknown settings are warnings",
    S,
    lines('name = "ws"', "[deploy]", 'servr = "http://x"'),
    [
      ["W_UNKNOWN_KEY", 1, 1, "unknown key `name`", null],
      ["W_UNKNOWN_KEY", 3, 1, "unknown key `deploy.servr`", "did you mean `server`?"],
    ],
  ],

  // ---- other files ----
  ["other TOML: any keys", "tools/other.toml", lines("whatever = 1", "[x]", "y = 'z'"), []],
  [
    "other TOML: syntax errors still count",
    "config/app.toml",
    "a = 1\nb = \n",
    [["E_TOML_SYNTAX", 2, 5, "invalid TOML: invalid value", null]],
  ],
  ["not TOML: not looked at", "agents/prompt.md", "= not [toml", []],
];

for (const c of cases) test(`file rule: ${c[0]}`, () => runCases([c]));

test("file kinds by path", () => {
  const kinds = Object.fromEntries(
    [
      "agents/a.toml",
      "agents/deep/er/agent.toml",
      "tools/mcp_servers.toml",
      "caxton.toml",
      "sub/caxton.toml",
      "tools/other.toml",
      "agentsx/a.toml",
      "agents/notes.md",
      ".caxtonignore",
    ].map((p) => [p, classifyPath(p)]),
  );
  assert.deepEqual(kinds, {
    "agents/a.toml": "agent",
    "agents/deep/er/agent.toml": "agent",
    "tools/mcp_servers.toml": "mcp-servers",
    "caxton.toml": "settings",
    "sub/caxton.toml": "toml",
    "tools/other.toml": "toml",
    "agentsx/a.toml": "toml",
    "agents/notes.md": "other",
    ".caxtonignore": "other",
  });
});
