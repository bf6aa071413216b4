/**
 * Every command, its arguments and its flags, declared once. The parser (parse-args.ts), `--help`,
 * `caxton help CMD`, did-you-mean, shell completion and the flag tables of docs/cli.md
 * (scripts/cli-docs.ts) all read this table, so none of them can drift from what the parser accepts.
 */

export interface FlagSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
  /** may be given several times (the parser then gives a list) */
  readonly multiple?: boolean;
  /** the value's placeholder in help, for string flags */
  readonly value?: string;
  readonly help: string;
}

export interface CommandSpec {
  readonly summary: string;
  /** the positional arguments' synopsis, e.g. "[DIR]" */
  readonly args: string;
  /** how many positional arguments it takes at most */
  readonly maxArgs: number;
  readonly about: string;
  readonly flags: Readonly<Record<string, FlagSpec>>;
  /** what completion offers for positional arguments */
  readonly complete?: "dir" | "file" | "command" | "shell" | "subcommand";
  /** the subcommands completion offers, when `complete` is "subcommand" */
  readonly subcommands?: readonly string[];
}

const SERVER = {
  type: "string",
  value: "URL",
  help: "the server (default: $CAXTON_SERVER, else [deploy] server in caxton.toml, else http://127.0.0.1:8080)",
} as const;
const JSON_FLAG = {
  type: "boolean",
  help: "print one JSON object on one line (for scripts and CI)",
} as const;

/** The flags of every command that talks to a server. */
export const CONNECTION_FLAGS = {
  workspace: {
    type: "string",
    value: "NAME",
    help: "the server's workspace (else $CAXTON_WORKSPACE, else [deploy] workspace in caxton.toml, else default)",
  },
  token: {
    type: "string",
    value: "TOKEN",
    help: "bearer token (else $CAXTON_TOKEN, else --token-file / $CAXTON_TOKEN_FILE)",
  },
  "token-file": {
    type: "string",
    value: "FILE",
    help: "read the bearer token from FILE (mode 0600; of several lines, the one for the workspace, else the admin's)",
  },
  ca: {
    type: "string",
    value: "FILE",
    help: "trust this CA (PEM) for an https:// server, besides the system's (else $CAXTON_CA)",
  },
  timeout: {
    type: "string",
    value: "SECONDS",
    help: "give up when the server sends nothing for SECONDS (default 120; 0 waits forever; else $CAXTON_TIMEOUT)",
  },
} as const;

export const COMMANDS = {
  init: {
    summary: "create an example workspace",
    args: "[DIR]",
    maxArgs: 1,
    about:
      "Creates an example workspace in DIR (default: the current folder): three agents, MCP servers, caxton.toml. Refuses to write into a non-empty folder unless --force is given (existing files are then overwritten).",
    complete: "dir",
    flags: {
      server: { type: "string", value: "URL", help: "the server written into caxton.toml" },
      force: { type: "boolean", help: "write into a non-empty folder" },
    },
  },
  deploy: {
    summary: "deploy a workspace to a server",
    args: "[DIR]",
    maxArgs: 1,
    about:
      "Deploys the workspace DIR (default: the workspace the current folder is in): sends only what the server lacks, and the server validates everything and applies it atomically, or nothing at all.",
    complete: "dir",
    flags: {
      server: SERVER,
      ...CONNECTION_FLAGS,
      "dry-run": {
        type: "boolean",
        help: "validate against the server and show what would change; apply nothing",
      },
      json: JSON_FLAG,
      as: {
        type: "string",
        value: "NAME",
        help: "who deploys, for the server's history (default: user@host)",
      },
      message: {
        type: "string",
        short: "m",
        value: "TEXT",
        help: "a note for the server's history (caxton log)",
      },
      force: {
        type: "boolean",
        help: "deploy even over files someone else changed on the server since your last deploy",
      },
      yes: {
        type: "boolean",
        short: "y",
        help: "deploy even when it deletes every agent or over half of the live files (asked on a terminal, refused off one)",
      },
      "allow-breaking": {
        type: "boolean",
        help: "deploy breaking changes in a workspace whose caxton.toml sets [deploy] require_allow_breaking = true (asked on a terminal, refused off one)",
      },
      verbose: { type: "boolean", short: "v", help: "list every changed file (default: the first 20)" },
      quiet: { type: "boolean", short: "q", help: "list no changed files, only the summary line" },
      watch: {
        type: "boolean",
        help: "deploy, then deploy again after every save until Ctrl-C (one line per deploy)",
      },
      poll: {
        type: "boolean",
        help: "with --watch: look for changes every --poll-interval ms instead of watching file events (network mounts, some containers, WSL)",
      },
      "poll-interval": { type: "string", value: "MS", help: "how often --poll looks (default 1000)" },
    },
  },
  status: {
    summary: "what changed since the last deploy, and whether the server still runs it",
    args: "[DIR]",
    maxArgs: 1,
    about:
      "Shows what changed in the workspace since its last deploy from here, and what that deploy was. When the server answers (one small request), also says whether it still runs that deployment (drift).",
    complete: "dir",
    flags: {
      server: SERVER,
      ...CONNECTION_FLAGS,
      json: JSON_FLAG,
      offline: { type: "boolean", help: "ask no server: compare with the last deploy from here only" },
    },
  },
  validate: {
    summary: "check a workspace offline, as the server would",
    args: "[DIR]",
    maxArgs: 1,
    about:
      "Runs every check the server runs (agent files, tools/mcp_servers.toml, caxton.toml, cross-file rules) on the workspace, offline. Exit 1 when there is an error; warnings never fail.",
    complete: "dir",
    flags: { json: JSON_FLAG },
  },
  diff: {
    summary: "what a deploy would change, as a patch",
    args: "[DIR]",
    maxArgs: 1,
    about:
      "Asks the server what a deploy of the workspace would change and prints it as a patch (`git apply` takes it, with `-R` to bring the server's version into the workspace). Exit 1 when there are differences, 0 when none, as diff(1).",
    complete: "dir",
    flags: {
      server: SERVER,
      ...CONNECTION_FLAGS,
      json: JSON_FLAG,
      stat: { type: "boolean", help: "list the changed files only" },
    },
  },
  pull: {
    summary: "bring the server's live version of files into the workspace",
    args: "[PATH...]",
    maxArgs: Infinity,
    about:
      "Writes the server's live version of PATHs (default: every file that differs) into the workspace, and deletes those the server does not have. Refuses to overwrite a file edited since your last deploy unless --force.",
    complete: "file",
    flags: {
      server: SERVER,
      ...CONNECTION_FLAGS,
      json: JSON_FLAG,
      force: { type: "boolean", help: "overwrite local edits" },
    },
  },
  workspaces: {
    summary: "list the server's workspaces",
    args: "",
    maxArgs: 0,
    about:
      "Lists the workspaces of the server (those the token may see: the admin token all, a workspace's token its own): name, live deployment, agents and when the last deploy was made. A workspace is created by its first deploy (caxton deploy --workspace NAME).",
    flags: {
      server: SERVER,
      token: CONNECTION_FLAGS.token,
      "token-file": CONNECTION_FLAGS["token-file"],
      ca: CONNECTION_FLAGS.ca,
      timeout: CONNECTION_FLAGS.timeout,
      json: JSON_FLAG,
    },
  },
  agents: {
    summary: "list the agents that are live, or show one",
    args: "[NAME]",
    maxArgs: 1,
    about:
      "Lists the agents of the live deployment (name, version, file, capabilities, tools), or shows the agent NAME.",
    flags: { server: SERVER, ...CONNECTION_FLAGS, json: JSON_FLAG },
  },
  log: {
    summary: "the server's deployment history",
    args: "",
    maxArgs: 0,
    about:
      "The server's deployment history, newest first: id, time, checksum, changes, who deployed it and, for workspaces in git, the commit, branch and whether the tree was dirty.",
    flags: {
      server: SERVER,
      ...CONNECTION_FLAGS,
      json: JSON_FLAG,
      n: { type: "string", short: "n", value: "N", help: "show the N newest (default 20)" },
    },
  },
  show: {
    summary: "what one deployment contained and changed",
    args: "[ID]",
    maxArgs: 1,
    about:
      "What deployment ID (default: the live one) changed and contained: who, when, git commit, message, the files added, modified and deleted, and its agents.",
    flags: { server: SERVER, ...CONNECTION_FLAGS, json: JSON_FLAG },
  },
  rollback: {
    summary: "make an earlier deployment live again",
    args: "[ID|CHECKSUM]",
    maxArgs: 1,
    about:
      "Switches the server back to an earlier deployment (default: the one before the live one) without uploading anything. The rollback is itself recorded in `caxton log`. Run inside a workspace, the local state learns the new server state, so `caxton status` compares against it.",
    flags: {
      server: SERVER,
      ...CONNECTION_FLAGS,
      json: JSON_FLAG,
      as: {
        type: "string",
        value: "NAME",
        help: "who rolls back, for the server's history (default: user@host)",
      },
    },
  },
  token: {
    summary: "create a bearer token for the server",
    args: "create [FILE]",
    maxArgs: 2,
    about:
      "Creates a random bearer token, as one line of a token file: the secret alone (the server admin's token), or with --workspace the secret followed by `workspace=NAME role=ROLE`. With FILE, writes it there (mode 0600) for `caxton serve --token-file FILE` and clients' --token-file; without, prints it. Refuses to overwrite FILE unless --force; --append adds a line.",
    complete: "subcommand",
    subcommands: ["create"],
    flags: {
      force: { type: "boolean", help: "overwrite FILE" },
      append: { type: "boolean", help: "add the token as one more line of FILE (a file holds several)" },
      workspace: {
        type: "string",
        value: "NAME",
        help: "a token for workspace NAME only (without: the server admin's token, for every workspace)",
      },
      role: {
        type: "string",
        value: "ROLE",
        help: "with --workspace: deploy (default; also reads) or read",
      },
    },
  },
  monitor: {
    summary: "watch a workspace in the background, so scans stat only what changed",
    args: "start|stop|status [DIR]",
    maxArgs: 2,
    about:
      "Starts, stops or reports the workspace's file-system monitor: a background process (one inotify watch per folder) that deploy, status, validate, diff and pull ask which paths changed since their last scan, instead of walking the workspace. Whenever it cannot be sure (it restarted, a folder was created or renamed, an overflow), the scan walks as it would without it. While it runs, it also runs `deploy` and `status` for that workspace itself, with the caller's arguments, folder, environment and terminal, so they skip Node's start-up and loading the CLI. It stops with `caxton monitor stop`, or when the workspace folder goes away.",
    complete: "subcommand",
    subcommands: ["start", "stop", "status"],
    flags: { json: JSON_FLAG },
  },
  serve: {
    summary: "run the deployment server",
    args: "",
    maxArgs: 0,
    about:
      "Runs the deployment server. DIR holds the object store, the history, the transaction log and DIR/current, the live configuration as plain files. The first line printed is `listening on URL`. The dashboard is at URL/, Prometheus metrics at URL/metrics, readiness at URL/ready (docs/operations.md).",
    flags: {
      "data-dir": {
        type: "string",
        value: "DIR",
        help: "the server's data (required; else $CAXTON_DATA_DIR)",
      },
      listen: {
        type: "string",
        value: "HOST:PORT",
        help: "default 127.0.0.1:8080; port 0 picks a free port. A non-loopback address needs --token-file",
      },
      "token-file": {
        type: "string",
        multiple: true,
        value: "FILE",
        help: "require `Authorization: Bearer <token>` on every call but /health, /ready and the dashboard's page (which asks for it); repeatable, one token a line, each the admin's or scoped to a workspace (`caxton token create FILE [--workspace NAME]`)",
      },
      "tls-cert": {
        type: "string",
        value: "FILE",
        help: "serve HTTPS with this certificate (PEM), with --tls-key",
      },
      "tls-key": { type: "string", value: "FILE", help: "the certificate's private key (PEM)" },
      keep: {
        type: "string",
        value: "N",
        help: "deployments kept for rollback (default 50); older ones are garbage-collected",
      },
      "gc-grace": {
        type: "string",
        value: "SECONDS",
        help: "unreferenced content younger than this survives collection (default 3600)",
      },
      "max-file-bytes": { type: "string", value: "N", help: "largest file accepted (default 4 GiB)" },
      "max-files": { type: "string", value: "N", help: "most files in a deployment (default 1,000,000)" },
      "max-body-bytes": {
        type: "string",
        value: "N",
        help: "largest request body after decompression (default 8 GiB)",
      },
      "idle-timeout": {
        type: "string",
        value: "SECONDS",
        help: "disconnect a client that sends nothing for this long (default 60)",
      },
      database: {
        type: "string",
        value: "URL",
        help: "keep the deployment state in PostgreSQL (postgres://USER@HOST:PORT/DB; else $CAXTON_DATABASE_URL), shared by every replica started with it; DIR then holds only this replica's materialized current and caches (docs/scale-out.md)",
      },
      "log-format": {
        type: "string",
        value: "json|text",
        help: "the log on stderr: one JSON object per line (the default when stdout is not a terminal) or text lines (the default on a terminal)",
      },
      quiet: { type: "boolean", short: "q", help: "no request log on stderr" },
    },
  },
  completion: {
    summary: "print a shell completion script",
    args: "bash|zsh|fish",
    maxArgs: 1,
    about:
      'Prints the completion script for the shell. bash: `source <(caxton completion bash)`; zsh: `caxton completion zsh > "${fpath[1]}/_caxton"`; fish: `caxton completion fish > ~/.config/fish/completions/caxton.fish`.',
    complete: "shell",
    flags: {},
  },
  help: {
    summary: "show the help of a command",
    args: "[COMMAND]",
    maxArgs: 1,
    about: "Shows the list of commands, or the help of COMMAND (the same as `caxton COMMAND --help`).",
    complete: "command",
    flags: {},
  },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;
export const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];

/** Flags every command takes. */
export const COMMON_FLAGS = {
  help: { type: "boolean", short: "h", help: "show this help" },
} as const satisfies Record<string, FlagSpec>;

export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

/** The environment variables caxton reads, for help and docs. */
export const ENVIRONMENT = [
  ["CAXTON_SERVER", "the server URL when --server is not given"],
  ["CAXTON_TOKEN", "the bearer token when --token is not given"],
  ["CAXTON_WORKSPACE", "the server's workspace when --workspace is not given"],
  ["CAXTON_TOKEN_FILE", "a file holding the bearer token, when neither --token nor $CAXTON_TOKEN is set"],
  ["CAXTON_CA", "a CA certificate (PEM) to trust, when --ca is not given"],
  [
    "CAXTON_TIMEOUT",
    "seconds without a byte from the server before a command gives up, when --timeout is not given",
  ],
  ["CAXTON_STATE_DIR", "where the local state lives (default $XDG_STATE_HOME/caxton)"],
  ["XDG_STATE_HOME", "the base of the local state when CAXTON_STATE_DIR is unset (default ~/.local/state)"],
  ["CAXTON_DATA_DIR", "`caxton serve`'s data dir when --data-dir is not given"],
  [
    "CAXTON_DATABASE_URL",
    "`caxton serve`'s PostgreSQL database when --database is not given (docs/scale-out.md)",
  ],
  ["NO_COLOR", "no colours, even on a terminal"],
  ["CAXTON_FAULT_CRASH_AT, CAXTON_FAULT_ENOSPC_AT", "tests only: make the server crash or fail at a step"],
] as const;
