/**
 * Knowing what the server runs: `status` says what it compares with and reports drift when the server runs
 * something else (a deploy from elsewhere, a rollback); the local state is keyed by the server's identity,
 * so another spelling of its URL or a new port is the same server; `show` tells what a deployment was;
 * `pull` brings the server's version of files into the workspace without overwriting local edits.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, startServe } from "../support/caxton-process.js";
import { serverAndWorkspace } from "../support/server-and-workspace.js";

const t = serverAndWorkspace({
  setUp: async (t) => {
    other = join(t.root, "theirs");
    assert.equal((await runCli(["deploy", t.ws, "--server", t.server.url, "--as", "me"], mine())).code, 0);
    cpSync(t.ws, other, { recursive: true });
  },
});
let other: string;
const mine = (): Record<string, string> => ({ CAXTON_STATE_DIR: join(t.root, "state-mine") });
const theirs = (): Record<string, string> => ({ CAXTON_STATE_DIR: join(t.root, "state-theirs") });
const AGENT = "agents/coordinator.toml";

interface Status {
  in_sync: boolean;
  drift: boolean | null;
  live: { deployment_id: number; deployed_by: string | null; kind: string | null } | null;
  last_deployment: { id: number } | null;
  not_checked: { code: string } | null;
}

const status = async (url: string, ...extra: string[]): Promise<Status> => {
  const r = await runCli(["status", t.ws, "--server", url, "--json", ...extra], mine());
  assert.equal(r.code, 0, r.stderr);
  return r.json() as unknown as Status;
};

describe("status and drift", () => {
  test("in sync: says what it compares with, and that the server still runs it", async () => {
    const st = await status(t.server.url);
    assert.equal(st.in_sync, true);
    assert.equal(st.drift, false);
    assert.equal(st.live?.deployment_id, 1);
    const text = await runCli(["status", t.ws, "--server", t.server.url], mine());
    assert.match(text.stdout, /Compared with your last deploy from here: #1 at \S+ \(.* ago\)/);
    assert.match(text.stdout, /The server still runs #1, your last deploy/);
  });

  test("a deploy from elsewhere is drift: --json drift true with what is live, text says so", async () => {
    writeFileSync(
      join(other, AGENT),
      readFileSync(join(other, AGENT), "utf8").replace('version = "1.0.0"', 'version = "3.0.0"'),
    );
    assert.equal(
      (await runCli(["deploy", other, "--server", t.server.url, "--as", "someone-else"], theirs())).code,
      0,
    );
    const st = await status(t.server.url);
    assert.equal(st.in_sync, true, "the workspace still matches my last deploy");
    assert.equal(st.drift, true);
    assert.equal(st.live?.deployment_id, 2);
    assert.equal(st.live?.deployed_by, "someone-else");
    const text = await runCli(["status", t.ws, "--server", t.server.url], mine());
    assert.match(
      text.stdout,
      /Drift: the server runs #2 \(deploy, by someone-else, at \S+; checksum [0-9a-f]{12}\), not your #1/,
    );
    assert.doesNotMatch(text.stdout, /In sync/);
  });

  test("offline it says it did not check; --offline asks nothing", async () => {
    const off = await status(t.server.url, "--offline");
    assert.equal(off.drift, null);
    assert.equal(off.not_checked?.code, "OFFLINE");
    const down = await runCli(["status", t.ws, "--server", "http://127.0.0.1:9"], mine());
    assert.equal(down.code, 0);
    assert.match(down.stdout, /could not ask the server: cannot reach the server at http:\/\/127\.0\.0\.1:9/);
  });
});

describe("show and agents NAME", () => {
  test("show ID: who, kind, the changes against the deployment before, the agents it holds", async () => {
    const r = await runCli(["show", "2", "--server", t.server.url, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const out = r.json() as {
      id: number;
      deployed_by: string;
      modified: string[];
      added: string[];
      agents: string[];
      live: boolean;
    };
    assert.equal(out.id, 2);
    assert.equal(out.deployed_by, "someone-else");
    assert.deepEqual(out.modified, [AGENT]);
    assert.deepEqual(out.added, []);
    assert.equal(out.live, true);
    assert.ok(out.agents.includes(AGENT));
    const text = await runCli(["show", "1", "--server", t.server.url]);
    assert.match(text.stdout, /deployment #1 {2}[0-9a-f]{64}/);
    assert.match(text.stdout, /By: +me/);
    assert.match(text.stdout, /The first deployment: 7 added/);
    const agent = await runCli(["agents", "coordinator", "--server", t.server.url, "--json"]);
    assert.equal(agent.code, 0, agent.stderr);
    assert.equal((agent.json() as { config: { version: string } }).config.version, "3.0.0");
  });
});

describe("pull", () => {
  test("refuses to overwrite a local edit, --force takes the server's version; status is then in sync", async () => {
    writeFileSync(
      join(t.ws, AGENT),
      readFileSync(join(t.ws, AGENT), "utf8").replace('version = "1.0.0"', 'version = "2.0.0"'),
    );
    const conflict = await runCli(["deploy", t.ws, "--server", t.server.url], mine());
    assert.equal(conflict.code, 1, conflict.stderr);
    assert.match(conflict.stderr, /pull their change/);
    const refused = await runCli(["pull", AGENT, "--server", t.server.url], mine(), t.ws);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(
      refused.stderr,
      /agents\/coordinator\.toml was edited here since your last deploy; nothing was pulled/,
    );
    assert.match(readFileSync(join(t.ws, AGENT), "utf8"), /2\.0\.0/);
    const forced = await runCli(
      ["pull", "coordinator.toml", "--force", "--server", t.server.url, "--json"],
      mine(),
      join(t.ws, "agents"),
    );
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual((forced.json() as { written: string[] }).written, [AGENT]);
    assert.equal(readFileSync(join(t.ws, AGENT), "utf8"), readFileSync(join(other, AGENT), "utf8"));
    const again = await runCli(["pull", "--server", t.server.url], mine(), t.ws);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /Nothing to pull/);
    const d = await runCli(["diff", t.ws, "--server", t.server.url], mine());
    assert.equal(d.code, 0, "the workspace now equals the live deployment");
  });

  test("without PATH it takes every file that differs when nothing was edited here", async () => {
    // my state's base is still #1, but my workspace equals the live #2 after the pull: a deploy records it
    const up = await runCli(["deploy", t.ws, "--server", t.server.url, "--json"], mine());
    assert.equal(up.code, 0, up.stderr);
    assert.equal(up.json().up_to_date, true);
    writeFileSync(join(other, "from-them.md"), "hello\n");
    assert.equal((await runCli(["deploy", other, "--server", t.server.url], theirs())).code, 0);
    const r = await runCli(["pull", "--server", t.server.url], mine(), t.ws);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(t.ws, "from-them.md"), "utf8"), "hello\n");
  });
});

describe("server identity", () => {
  test("the id lives in the data dir; another port or spelling of the URL is the same server", async () => {
    const health = (await (await fetch(`${t.server.url}/health`)).json()) as { server_id: string };
    assert.match(health.server_id, /^[0-9a-f-]{36}$/);
    assert.equal(readFileSync(join(t.server.dataDir, "server-id"), "utf8").trim(), health.server_id);
    const mineNow = await runCli(["deploy", t.ws, "--server", t.server.url, "--json"], mine());
    assert.equal(mineNow.code, 0, mineNow.stderr);
    await t.server.stop();
    const down = await status(t.server.url);
    assert.equal(down.drift, null, "server down: drift unknown");
    assert.equal(down.in_sync, true, "the offline comparison still works");
    const text = await runCli(["status", t.ws, "--server", t.server.url], mine());
    assert.match(text.stdout, /could not ask the server: .*; not checked whether the server still runs #\d+/);
    t.server = await startServe({ dataDir: t.server.dataDir, args: ["--quiet"] }); // a new port
    const again = (await (await fetch(`${t.server.url}/health`)).json()) as { server_id: string };
    assert.equal(again.server_id, health.server_id, "the id survives a restart");
    const st = await status(t.server.url);
    assert.equal(st.last_deployment !== null, true, "the new URL finds the record made through the old one");
    assert.equal(st.in_sync, true);
    assert.equal(st.drift, false);
    const viaLocalhost = await status(t.server.url.replace("127.0.0.1", "localhost"));
    assert.equal(viaLocalhost.drift, false);
    writeFileSync(join(t.ws, "after-restart.md"), "x\n");
    const fast = await runCli(["deploy", t.ws, "--server", t.server.url, "--json"], mine());
    assert.equal(fast.code, 0, fast.stderr);
    assert.equal(fast.json().round_trips, 1, "the fast path: the base is known under the server's id");
  });
});
