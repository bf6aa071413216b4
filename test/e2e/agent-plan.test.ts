/**
 * The agent-aware plan through the real CLI and server: `deploy --dry-run` and `deploy` show it (and
 * `--json` carries it), `caxton diff` puts it above the patch, `caxton log` and the history API keep it,
 * and a workspace with `[deploy] require_allow_breaking = true` needs `--allow-breaking` off a terminal
 * and asks on one (a real pty from util-linux `script`).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, runCliOnTerminal } from "../support/caxton-process.js";
import { serverAndWorkspace } from "../support/server-and-workspace.js";

interface AgentEntry {
  name: string;
  change: string;
  impact: string;
  fields: string[];
  reasons: string[];
}

describe("agent-aware plan", () => {
  const t = serverAndWorkspace();
  const cli = (...args: string[]) => runCli([...args, "--server", t.server.url], t.env);
  const edit = (path: string, from: string, to: string) => {
    const file = join(t.ws, path);
    const text = readFileSync(file, "utf8");
    assert.ok(text.includes(from), `${path} has ${from}`);
    writeFileSync(file, text.replace(from, to));
  };
  const liveId = async () =>
    ((await (await fetch(`${t.server.url}/api/v1/deployment`)).json()) as { deployment_id: number })
      .deployment_id;

  test("first deploy: every agent added (compatible), in the output and in --json", async () => {
    const r = await cli("deploy", t.ws, "--json");
    assert.equal(r.code, 0, r.stderr);
    const out = r.json() as { impact: string; agents: AgentEntry[]; mcp_servers: { name: string }[] };
    assert.equal(out.impact, "compatible");
    assert.deepEqual(
      out.agents.map((a) => [a.name, a.change, a.impact, a.fields]),
      [
        ["code-reviewer", "added", "compatible", []],
        ["coordinator", "added", "compatible", []],
        ["researcher", "added", "compatible", []],
      ],
    );
    assert.deepEqual(
      out.mcp_servers.map((m) => m.name),
      ["git", "search"],
    );
  });

  test("dry run and diff: a removed tool is breaking, a reworded prompt compatible, a comment cosmetic", async () => {
    edit("agents/coordinator.toml", '"delegate_task"]', '"plan_task"]');
    edit("agents/researcher/agent.toml", "Cite every source you use.", "Cite every source you use, briefly.");
    appendFileSync(join(t.ws, "agents/code-reviewer.toml"), "# reviewed by the platform team\n");
    const before = await liveId();

    const dry = await cli("deploy", t.ws, "--dry-run");
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /Agents: 1 breaking, 1 compatible, 1 cosmetic/);
    assert.match(
      dry.stdout,
      /~ coordinator +breaking +tools\.available\n +tool `delegate_task` removed\n +tool `plan_task` added/,
    );
    assert.match(
      dry.stdout,
      /~ researcher +compatible +system_prompt\n +system_prompt: 57 → 66 chars \(\+9\): … every source you use\{\+, briefly\+\}\./,
    );
    assert.match(dry.stdout, /~ code-reviewer +cosmetic +formatting only \(the parsed config is equal\)/);
    assert.match(dry.stdout, /Nothing was applied/);
    assert.equal(await liveId(), before, "a dry run applies nothing");

    const json = (await cli("deploy", t.ws, "--dry-run", "--json")).json() as {
      impact: string;
      agents: AgentEntry[];
    };
    assert.equal(json.impact, "breaking");
    assert.deepEqual(
      json.agents.map((a) => [a.name, a.change, a.impact, a.fields]),
      [
        ["code-reviewer", "modified", "cosmetic", []],
        ["coordinator", "modified", "breaking", ["tools.available"]],
        ["researcher", "modified", "compatible", ["system_prompt"]],
      ],
    );

    const diff = await cli("diff", t.ws);
    assert.equal(diff.code, 1, "differences: exit 1, as diff(1)");
    // the summary on stderr, before the patch on stdout (which stays a patch git can apply)
    assert.match(diff.stderr, /Agents: 1 breaking, 1 compatible, 1 cosmetic\n[^]*~ coordinator +breaking/);
    assert.doesNotMatch(diff.stdout, /Agents:/);
    assert.match(diff.stdout, /-tools = \["mcp__search__web_search", "delegate_task"\]/);
    const diffJson = (await cli("diff", t.ws, "--json")).json() as { impact: string; agents: AgentEntry[] };
    assert.deepEqual(diffJson.agents, json.agents, "diff computes the plan the server computes");
  });

  test("deploy shows the plan, and the history keeps it for `caxton log`", async () => {
    const r = await cli("deploy", t.ws);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Agents: 1 breaking, 1 compatible, 1 cosmetic/);
    assert.match(r.stdout, /Deployed #2/);
    const log = await cli("log", "-n", "2");
    assert.match(
      log.stdout,
      /#2 .*\n.*\n +breaking: coordinator \(modified\); compatible: researcher \(modified\); cosmetic: code-reviewer \(modified\)/,
    );
    assert.match(
      log.stdout,
      /compatible: code-reviewer \(added\), coordinator \(added\), researcher \(added\), MCP git \(added\)/,
    );
    const history = (await cli("log", "--json")).json() as {
      deployments: { id: number; plan: { impact: string; agents: AgentEntry[] } | null }[];
    };
    const show = await cli("show", "2");
    assert.equal(show.code, 0, show.stderr);
    assert.match(
      show.stdout,
      /Meant: +breaking: coordinator \(modified\); compatible: researcher \(modified\)/,
    );
    const second = history.deployments.find((d) => d.id === 2);
    assert.equal(second?.plan?.impact, "breaking");
    assert.deepEqual(second?.plan?.agents.find((a) => a.name === "coordinator")?.reasons, [
      "tool `delegate_task` removed",
      "tool `plan_task` added",
    ]);
  });

  test("policy: with require_allow_breaking, a breaking deploy off a terminal needs --allow-breaking", async () => {
    appendFileSync(join(t.ws, "caxton.toml"), "require_allow_breaking = true\n");
    edit(
      "agents/researcher/agent.toml",
      'capabilities = ["web_research", "summarisation"]',
      'capabilities = ["web_research"]',
    );
    const before = await liveId();

    const refused = await cli("deploy", t.ws);
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(
      refused.stderr,
      /~ researcher +breaking +capabilities\n +capability `summarisation` removed; no other agent provides it/,
    );
    assert.match(
      refused.stderr,
      /error: this deployment has breaking changes to agent researcher; nothing was applied/,
    );
    assert.match(refused.stderr, /hint: .*--allow-breaking/);
    assert.equal(await liveId(), before, "nothing applied");

    const refusedJson = await cli("deploy", t.ws, "--json");
    assert.equal(refusedJson.code, 1);
    const body = refusedJson.json() as { error: { code: string }; plan: { impact: string } };
    assert.equal(body.error.code, "E_BREAKING_CHANGE");
    assert.equal(body.plan.impact, "breaking");

    const dry = await cli("deploy", t.ws, "--dry-run");
    assert.equal(dry.code, 0, "a dry run is never refused");
    assert.match(dry.stdout, /breaking: this workspace requires --allow-breaking to deploy this plan/);

    const allowed = await cli("deploy", t.ws, "--allow-breaking");
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stdout, /Deployed #\d+/);

    // a compatible change passes the policy without the flag
    edit(
      "agents/researcher/agent.toml",
      'capabilities = ["web_research"]',
      'capabilities = ["web_research", "fact_checking"]',
    );
    const compatible = await cli("deploy", t.ws);
    assert.equal(compatible.code, 0, compatible.stderr);
  });

  test("policy on a terminal: it asks; no applies nothing, yes deploys", async () => {
    edit("agents/coordinator.toml", '"plan_task"]', '"other_task"]');
    const before = await liveId();
    const onTerminal = (input: string) =>
      runCliOnTerminal(["deploy", t.ws, "--server", t.server.url], t.env, { input });
    const no = onTerminal("n\n");
    assert.equal(no.status, 1, no.output);
    assert.match(no.output, /tool `plan_task` removed/);
    assert.match(no.output, /Deploy .* with these breaking changes\? \[y\/N\]/);
    assert.equal(await liveId(), before);
    const yes = onTerminal("y\n");
    assert.equal(yes.status, 0, yes.output);
    assert.match(yes.output, /Deployed #\d+/);
    assert.notEqual(await liveId(), before);
  });

  test("a rollback is recorded with its plan too", async () => {
    const r = await cli("rollback");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /~ coordinator +breaking +tools\.available\n +tool `other_task` removed/);
    const history = (await cli("log", "--json", "-n", "1")).json() as {
      deployments: { kind: string; plan: { impact: string; agents: AgentEntry[] } | null }[];
    };
    assert.equal(history.deployments[0]?.kind, "rollback");
    assert.equal(history.deployments[0]?.plan?.impact, "breaking");
  });
});
