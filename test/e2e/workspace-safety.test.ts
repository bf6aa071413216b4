/**
 * The mistakes of a first hour cannot wipe the live configuration: the workspace is found as git finds
 * `.git` (a folder holding caxton.toml or agents/), anything else is refused before a request is made, and a
 * deploy that would delete every agent or over half of the live files asks on a terminal and is refused off
 * one unless --yes. Real server, real CLI; the terminal is a real pty from util-linux `script`.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, runCli, runCliOnTerminal } from "../support/caxton-process.js";
import { serverAndWorkspace } from "../support/server-and-workspace.js";
import { snapshot } from "../support/tree-snapshot.js";

const t = serverAndWorkspace();

const live = (): Map<string, string> => snapshot(join(t.server.dataDir, "current"));
const history = async (): Promise<number> =>
  ((await (await fetch(`${t.server.url}/api/v1/deployments`)).json()) as { deployments: unknown[] })
    .deployments.length;

/** Runs the CLI on a real terminal, typing `input` at it. */
const onTerminal = (args: string[], input: string) => runCliOnTerminal(args, t.env, { input });

describe("workspace discovery", () => {
  test("without DIR, the nearest workspace from the current folder up is deployed, not the subfolder", async () => {
    const r = await runCli(
      ["deploy", "--server", t.server.url, "--json"],
      t.env,
      join(t.ws, "agents", "researcher"),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.ok(live().has("agents/coordinator.toml"), "paths keep their place in the workspace");
    assert.ok(!live().has("coordinator.toml"), "nothing re-rooted");
    const st = await runCli(["status", "--server", t.server.url, "--json"], t.env, join(t.ws, "agents"));
    assert.equal(st.code, 0, st.stderr);
    assert.equal(st.json().workspace, t.ws);
  });

  test("a DIR that is not a workspace is refused (exit 2), naming the workspace around it; nothing sent", async () => {
    const count = await history();
    const inside = await runCli(["deploy", join(t.ws, "agents"), "--server", t.server.url], t.env);
    assert.equal(inside.code, 2, inside.stderr);
    assert.match(inside.stderr, /is not a workspace: it holds neither caxton.toml nor an agents\/ folder/);
    assert.ok(inside.stderr.includes(`inside the workspace ${t.ws}`), inside.stderr);
    const empty = join(t.root, "empty");
    mkdirSync(empty);
    const r = await runCli(["deploy", empty, "--server", t.server.url, "--json"], t.env);
    assert.equal(r.code, 2);
    assert.equal((r.json().error as { code: string }).code, "E_WORKSPACE");
    const missing = await runCli(["deploy", join(t.root, "nope"), "--server", t.server.url], t.env);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /does not exist/);
    assert.equal(await history(), count, "no deployment was attempted");
    assert.ok(live().has("agents/coordinator.toml"));
  });

  test("outside any workspace, a command without DIR says so (exit 2)", async () => {
    const outside = join(t.root, "elsewhere");
    mkdirSync(outside);
    for (const cmd of ["deploy", "status", "validate", "diff"]) {
      const r = await runCli([cmd], { ...t.env, CAXTON_SERVER: t.server.url }, outside);
      assert.equal(r.code, 2, `${cmd}: ${r.stderr}`);
      assert.match(r.stderr, /no workspace here/);
      assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    }
  });
});

describe("deletion guard", () => {
  test("deleting every agent is refused off a terminal, and the message lists what would go", async () => {
    const bare = join(t.root, "bare");
    mkdirSync(bare);
    writeFileSync(join(bare, "caxton.toml"), "# settings only\n");
    const before = live();
    const r = await runCli(["deploy", bare, "--server", t.server.url], t.env);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /would delete every agent \(3\) and 6 of 7 live files; nothing was applied/);
    assert.match(r.stderr, /^ {2}- agents\/coordinator\.toml$/m);
    assert.match(r.stderr, /every agent: agents\/code-reviewer\.toml, agents\/coordinator\.toml/);
    assert.match(r.stderr, /--yes/);
    const json = await runCli(["deploy", bare, "--server", t.server.url, "--json"], t.env);
    assert.equal(json.code, 1);
    const out = json.json() as {
      error: { code: string };
      deletion: { deleted_count: number; live_agents: number };
    };
    assert.equal(out.error.code, "E_MASS_DELETION");
    assert.equal(out.deletion.deleted_count, 6);
    assert.equal(out.deletion.live_agents, 3);
    assert.deepEqual(live(), before, "nothing applied");
    const dry = await runCli(["deploy", bare, "--server", t.server.url, "--dry-run"], t.env);
    assert.equal(dry.code, 0, "a dry run applies nothing, so it only shows the plan");
  });

  test("deleting over half of the live files is refused; --yes deploys it", async () => {
    mkdirSync(join(t.ws, "docs"));
    for (let i = 0; i < 10; i++) writeFileSync(join(t.ws, "docs", `n${i}.md`), `note ${i}\n`);
    assert.equal((await runCli(["deploy", t.ws, "--server", t.server.url], t.env)).code, 0);
    cleanup(join(t.ws, "docs"));
    const refused = await runCli(["deploy", t.ws, "--server", t.server.url], t.env);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /would delete 10 of 17 live files/);
    assert.ok(live().has("docs/n0.md"));
    const yes = await runCli(["deploy", t.ws, "--server", t.server.url, "--yes", "--json"], t.env);
    assert.equal(yes.code, 0, yes.stderr);
    assert.equal((yes.json().deleted as string[]).length, 10);
    assert.ok(!live().has("docs/n0.md"));
  });

  test("on a terminal it asks: no keeps the live files, yes deploys", () => {
    const bare = join(t.root, "bare");
    const args = ["deploy", bare, "--server", t.server.url];
    const no = onTerminal(args, "n\n");
    assert.equal(no.status, 1, no.output);
    assert.match(no.output, /Deploy .* anyway, deleting these from .*\? \[y\/N\]/);
    assert.match(no.output, /- agents\/coordinator\.toml/);
    assert.ok(live().has("agents/coordinator.toml"));
    const yes = onTerminal(args, "y\n");
    assert.equal(yes.status, 0, yes.output);
    assert.match(yes.output, /Deployed #\d+ \(0 added, 1 modified, 6 deleted\)/);
    assert.ok(!live().has("agents/coordinator.toml"));
  });
});
