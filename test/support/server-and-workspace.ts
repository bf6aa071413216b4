/**
 * A server and a workspace for this test file (or for the `describe` block it is called in):
 *
 *   const t = serverAndWorkspace();
 *   test("a deploy", async () => {
 *     const r = await runCli(["deploy", t.ws, "--server", t.server.url], t.env);
 *   });
 *
 * It registers a `before` hook that makes a temp folder `t.root`, starts `caxton serve --quiet` with data
 * dir `t.root/data` on 127.0.0.1 port 0 (`t.server`) and runs `caxton init t.ws` (`t.root/ws`), and an
 * `after` hook that stops the server and removes the folder. `t.env` is `{ CAXTON_STATE_DIR: t.root/state }`
 * (plus `CAXTON_TOKEN` with `token: true`): pass it to `runCli` so the file's CLI runs share one state dir.
 * More set-up (a first deploy, ...) goes in `setUp`, which runs once the server and the workspace are there.
 * (Node 20 runs a file's top-level `before` hooks all at once, so a second top-level `before` could start
 * before the server is up; inside a `describe`, the caller's own `before` also works: there they run in turn.)
 *
 * Options:
 * - `serve`: more `startServe` options (`args: ["--keep", "2"]`, `quiet: false` for the request log, `env`)
 * - `token: true`: `caxton token create t.root/token` first (`t.tokenFile`); the server gets `--token-file`,
 *   `t.token` is the token
 * - `init: false`: no workspace (`t.ws` is still the path, nothing is there)
 * - `prefix`: the temp folder's name prefix
 * - `setUp(t)`: more set-up, awaited at the end of the `before` hook
 * - `tearDown(t)`: clean-up that needs the server or the folder (stop a monitor, ...), awaited first in `after`
 *
 * Reading a field before the `before` hook ran throws. `t.server` may be replaced (a restart): `after`
 * stops whichever server it holds then.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before } from "node:test";
import { startServe, type ServeOptions, type ServeProcess } from "../../support/caxton-serve.js";
import { cleanup, runCli, tempDir } from "./caxton-process.js";

export interface ServerAndWorkspaceOptions {
  serve?: ServeOptions;
  token?: boolean;
  init?: boolean;
  prefix?: string;
  setUp?: (t: ServerAndWorkspace) => Promise<void> | void;
  tearDown?: (t: ServerAndWorkspace) => Promise<void> | void;
}

export interface ServerAndWorkspace {
  readonly root: string;
  readonly ws: string;
  readonly env: Record<string, string>;
  /** the `--token-file` secret and its file (only with `token: true`) */
  readonly token: string;
  readonly tokenFile: string;
  server: ServeProcess;
}

export function serverAndWorkspace(options: ServerAndWorkspaceOptions = {}): ServerAndWorkspace {
  let root: string | undefined;
  let token: string | undefined;
  let server: ServeProcess | undefined;
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`serverAndWorkspace: ${what} is set in its before hook`);
    return value;
  };
  const fixture: ServerAndWorkspace = {
    get root() {
      return ready(root, "root");
    },
    get ws() {
      return join(ready(root, "ws"), "ws");
    },
    get env() {
      const env: Record<string, string> = { CAXTON_STATE_DIR: join(ready(root, "env"), "state") };
      if (token !== undefined) env.CAXTON_TOKEN = token;
      return env;
    },
    get token() {
      return ready(token, "token");
    },
    get tokenFile() {
      return join(ready(token === undefined ? undefined : root, "tokenFile"), "token");
    },
    get server() {
      return ready(server, "server");
    },
    set server(s: ServeProcess) {
      server = s;
    },
  };
  before(async () => {
    root = tempDir(options.prefix);
    const args = [...(options.serve?.args ?? [])];
    if (options.token) {
      const file = join(root, "token");
      const created = await runCli(["token", "create", file]);
      assert.equal(created.code, 0, created.stderr);
      token = readFileSync(file, "utf8").trim();
      args.push("--token-file", file);
    }
    server = await startServe({ dataDir: join(root, "data"), quiet: true, ...options.serve, args });
    if (options.init !== false) {
      const init = await runCli(["init", fixture.ws], fixture.env);
      assert.equal(init.code, 0, init.stderr);
    }
    await options.setUp?.(fixture);
  });
  after(async () => {
    try {
      if (root !== undefined) await options.tearDown?.(fixture);
    } finally {
      await server?.stop();
      if (root !== undefined) cleanup(root);
    }
  });
  return fixture;
}
