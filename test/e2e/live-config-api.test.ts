/**
 * The live configuration API and event stream follow each deploy; several broken files are all reported
 * in one deploy and nothing is applied; `caxton validate` and `caxton agents` work through the real CLI.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../support/caxton-process.js";
import { serverAndWorkspace } from "../support/server-and-workspace.js";
import { collectEvents } from "../support/sse-events.js";

describe("live configuration API", () => {
  const t = serverAndWorkspace({ serve: { quiet: false } });
  const deploy = () => runCli(["deploy", t.ws, "--server", t.server.url, "--json"], t.env);

  test("agents, one agent with defaults, and the deployment follow each deploy, with events", async () => {
    const firstEvents = collectEvents(t.server.url, 2);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await deploy()).code, 0);
    const list = (await (await fetch(`${t.server.url}/api/v1/agents`)).json()) as {
      deployment_id: number;
      agents: { name: string; version: string; path: string; capabilities: string[]; tools: string[] }[];
    };
    assert.deepEqual(
      list.agents.map((a) => a.name),
      ["code-reviewer", "coordinator", "researcher"],
    );
    const one = (await (await fetch(`${t.server.url}/api/v1/agents/code-reviewer`)).json()) as {
      config: { conversation: { max_turns: number; timeout_seconds: number }; memory: { scope: string } };
    };
    assert.deepEqual(one.config.conversation, { max_turns: 50, timeout_seconds: 300 }, "defaults filled in");
    assert.equal(one.config.memory.scope, "agent");
    assert.equal((await fetch(`${t.server.url}/api/v1/agents/nobody`)).status, 404);

    const path = join(t.ws, "agents/coordinator.toml");
    writeFileSync(path, readFileSync(path, "utf8").replace('version = "1.0.0"', 'version = "2.0.0"'));
    assert.equal((await deploy()).code, 0);
    const dep = (await (await fetch(`${t.server.url}/api/v1/deployment`)).json()) as {
      deployment_id: number;
      modified: number;
    };
    assert.equal(dep.modified, 1);
    const coordinator = (await (await fetch(`${t.server.url}/api/v1/agents/coordinator`)).json()) as {
      deployment_id: number;
      config: { version: string };
    };
    assert.equal(coordinator.config.version, "2.0.0");
    assert.equal(coordinator.deployment_id, dep.deployment_id);

    const events = await firstEvents;
    assert.deepEqual(
      events.map((e) => e.event),
      ["deployment.applied", "deployment.applied"],
    );
    assert.deepEqual(events[1]?.data.changed_agents, ["coordinator"]);

    // a reconnecting client resumes after the last id it saw
    const rollback = await runCli(["rollback", "--server", t.server.url], t.env, t.ws);
    assert.equal(rollback.code, 0, rollback.stderr);
    const resumed = await collectEvents(t.server.url, 2, events[0]?.id);
    assert.deepEqual(
      resumed.map((e) => e.event),
      ["deployment.applied", "deployment.rolled_back"],
    );
    assert.equal(resumed[0]?.id, events[1]?.id);
    assert.deepEqual(resumed[1]?.data.changed_agents, ["coordinator"]);
    const agents = await runCli(["agents", "--server", t.server.url, "--json"]);
    const live = agents.json() as { agents: { name: string; version: string }[] };
    assert.equal(live.agents.find((a) => a.name === "coordinator")?.version, "1.0.0");
  });

  test("every error of several broken files is reported in one go, nothing applied", async () => {
    const before = await (await fetch(`${t.server.url}/api/v1/deployment`)).json();
    writeFileSync(join(t.ws, "agents/one.toml"), 'name = "one"\nversion = "1.0"\n');
    writeFileSync(join(t.ws, "agents/two.toml"), "name = [\n");
    writeFileSync(
      join(t.ws, "agents/three.toml"),
      'name = "coordinator"\nversion = "1.0.0"\ncapabilities = []\nsystem_prompt = ""\nuser_prompt_template = ""\n[tools]\navailable = ["mcp__nowhere__x"]\n',
    );
    const v = await runCli(["validate", t.ws, "--json"]);
    assert.equal(v.code, 1);
    const report = v.json() as { errors: { path: string; line: number; column: number; code: string }[] };
    const paths = new Set(report.errors.map((e) => e.path));
    assert.deepEqual([...paths].sort(), [
      "agents/coordinator.toml",
      "agents/one.toml",
      "agents/three.toml",
      "agents/two.toml",
    ]);
    assert.ok(report.errors.some((e) => e.code === "E_DUPLICATE_AGENT"));
    assert.ok(report.errors.some((e) => e.code === "E_UNKNOWN_MCP_SERVER" && e.line === 7));
    const r = await deploy();
    assert.equal(r.code, 1);
    const out = r.json() as { errors: unknown[]; round_trips?: number };
    assert.equal(out.errors.length, report.errors.length, "deploy reports the same problems as validate");
    assert.deepEqual(await (await fetch(`${t.server.url}/api/v1/deployment`)).json(), before);
    for (const f of ["one", "two", "three"]) rmSync(join(t.ws, `agents/${f}.toml`));
    const ok = await runCli(["validate", t.ws]);
    assert.equal(ok.code, 0);
    assert.match(ok.stdout, /configuration files valid/);
  });

  test("the agent-format guide's forms are served normalized: one tools form, defaults, template variables", async () => {
    const v = await runCli(["validate", t.ws, "--json"]);
    assert.deepEqual((v.json() as { warnings: unknown[] }).warnings, [], "caxton init writes no warning");
    assert.equal((await deploy()).code, 0);
    const get = async (name: string) =>
      (await (await fetch(`${t.server.url}/api/v1/agents/${name}`)).json()) as {
        config: Record<string, unknown> & { tools: unknown };
        template_variables: Record<string, string[]>;
      };
    const coordinator = await get("coordinator");
    assert.deepEqual(coordinator.config.tools, { available: ["mcp__search__web_search", "delegate_task"] });
    assert.deepEqual(coordinator.config["permissions"], {
      file_access: "none",
      network_access: "restricted",
      memory_limit: "100MB",
      cpu_limit: "5m",
    });
    assert.deepEqual(coordinator.config["monitoring"], {
      health_check_interval: "5m",
      performance_tracking: true,
      error_reporting: true,
    });
    assert.deepEqual(coordinator.template_variables, {
      system_prompt: [],
      user_prompt_template: ["request", "context"],
    });
    const researcher = await get("researcher");
    assert.deepEqual(researcher.config["schedule"], {
      cron: "0 8 * * MON",
      timezone: "Europe/London",
      enabled: false,
    });
    assert.deepEqual(researcher.template_variables.user_prompt_template, ["question", "memory_context"]);
    const reviewer = await get("code-reviewer");
    assert.deepEqual(reviewer.config.tools, { available: ["mcp__git__git_diff", "read_file"] });
    assert.equal(reviewer.config["permissions"], undefined, "an absent table stays absent");
  });
});
