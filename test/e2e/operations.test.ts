/**
 * Running the server: GET /metrics (Prometheus text), GET /ready beside /health, the structured request log
 * (JSON by default off a terminal, text on request), and how the dashboard's files are served (caching,
 * CSP). All against the real `caxton serve` and real CLI deploys.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PACK_CONTENT_TYPE } from "../../src/protocol/pack-format.js";
import { packBytes, workspace } from "../security/helpers.js";
import { cleanup, runCli, startServe, tempDir } from "../support/caxton-process.js";
import { serverAndWorkspace } from "../support/server-and-workspace.js";

/** One sample's value from a Prometheus text exposition, or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  for (const line of text.split("\n")) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

async function waitFor(check: () => boolean, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

describe("metrics, readiness and the JSON log of a server with a token", () => {
  // no --log-format: stdout is a pipe here, so the log is JSON
  const t = serverAndWorkspace({ prefix: "caxton-ops-", token: true, serve: { quiet: false } });
  const auth = (): Record<string, string> => ({ Authorization: `Bearer ${t.token}` });

  before(async () => {
    const d1 = await runCli(["deploy", t.ws, "--server", t.server.url, "--as", "alice"], t.env);
    assert.equal(d1.code, 0, d1.stderr);
    // the CLI validates before sending, so a tree the server rejects is sent raw
    const broken = workspace({ "agents/broken.toml": 'name = "broken"\nversion = 1\n' });
    const bad = await fetch(`${t.server.url}/api/v1/deployments`, {
      method: "POST",
      headers: { ...auth(), "Content-Type": PACK_CONTENT_TYPE },
      body: packBytes({ root: broken.root }, broken.objects),
    });
    assert.equal(bad.status, 422, await bad.text());
    writeFileSync(join(t.ws, "notes.md"), "second\n");
    assert.equal((await runCli(["deploy", t.ws, "--server", t.server.url], t.env)).code, 0);
    const rb = await runCli(["rollback", "--server", t.server.url], t.env);
    assert.equal(rb.code, 0, rb.stderr);
  });

  test("GET /metrics needs the token and reports deployments, durations, bytes, objects, agents, requests, process", async () => {
    assert.equal((await fetch(`${t.server.url}/metrics`)).status, 401);
    const res = await fetch(`${t.server.url}/metrics`, { headers: auth() });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    assert.equal(sample(text, 'caxton_deployments_total{kind="deploy",outcome="applied"}'), 2);
    assert.equal(sample(text, 'caxton_deployments_total{kind="deploy",outcome="E_VALIDATION"}'), 1);
    assert.equal(sample(text, 'caxton_deployments_total{kind="rollback",outcome="applied"}'), 1);
    assert.equal(sample(text, 'caxton_deploy_duration_seconds_count{kind="deploy"}'), 3);
    assert.equal(sample(text, 'caxton_apply_duration_seconds_count{kind="deploy"}'), 2);
    assert.equal(sample(text, 'caxton_apply_duration_seconds_count{kind="rollback"}'), 1);
    assert.ok((sample(text, 'caxton_apply_duration_seconds_sum{kind="deploy"}') ?? 0) > 0);
    assert.ok((sample(text, "caxton_http_received_bytes_total") ?? 0) > 1000, "the packs were counted");
    assert.ok((sample(text, "caxton_objects_stored") ?? 0) >= 10);
    assert.ok((sample(text, "caxton_objects_stored_bytes") ?? 0) > 1000);
    assert.equal(sample(text, "caxton_live_agents"), 3);
    assert.equal(sample(text, "caxton_live_deployment_id"), 3);
    assert.equal(
      sample(text, 'caxton_http_requests_total{route="POST /api/v1/deployments",status="201"}'),
      2,
    );
    assert.equal(
      sample(text, 'caxton_http_requests_total{route="POST /api/v1/deployments",status="422"}'),
      1,
    );
    assert.equal(sample(text, 'caxton_http_requests_total{route="GET /metrics",status="401"}'), 1);
    for (const name of [
      "process_cpu_user_seconds_total",
      "process_resident_memory_bytes",
      "nodejs_eventloop_lag_seconds",
    ])
      assert.ok(sample(text, name) !== undefined, `${name} is exported`);
    // an unknown path is one label, whatever the path: no unbounded label values
    await fetch(`${t.server.url}/no/such/${"x".repeat(20)}`, { headers: auth() });
    const again = await (await fetch(`${t.server.url}/metrics`, { headers: auth() })).text();
    assert.equal(sample(again, 'caxton_http_requests_total{route="unmatched",status="404"}'), 1);
    assert.doesNotMatch(again, /xxxxxxxxxx/);
  });

  test("GET /ready (no token needed, like /health) names its checks; 503 when deploys could not be staged", async () => {
    const ok = await fetch(`${t.server.url}/ready`);
    assert.equal(ok.status, 200);
    const body = (await ok.json()) as { status: string; checks: Record<string, { ok: boolean }> };
    assert.equal(body.status, "ready");
    assert.deepEqual(Object.keys(body.checks).sort(), ["disk_space", "recovered", "store", "writable"]);
    assert.equal((await fetch(`${t.server.url}/health`)).status, 200);
    const tmp = join(t.server.dataDir, "tmp");
    rmSync(tmp, { recursive: true, force: true });
    writeFileSync(tmp, "not a folder");
    try {
      const bad = await fetch(`${t.server.url}/ready`);
      assert.equal(bad.status, 503);
      const reply = (await bad.json()) as { status: string; checks: Record<string, { ok: boolean }> };
      assert.equal(reply.status, "unready");
      assert.equal(reply.checks.writable?.ok, false);
      assert.equal(reply.checks.store?.ok, true);
      assert.equal((await fetch(`${t.server.url}/health`)).status, 200, "alive, though not ready");
    } finally {
      rmSync(tmp, { force: true });
      mkdirSync(tmp);
    }
    assert.equal((await fetch(`${t.server.url}/ready`)).status, 200);
  });

  test("the log is one JSON object per line with request id, route, status, duration, client; deploys with id, root, counts, who; never the token", async () => {
    const res = await fetch(`${t.server.url}/api/v1/agents`, { headers: auth() });
    const requestId = res.headers.get("x-request-id");
    assert.match(requestId ?? "", /^[0-9a-f-]{36}$/);
    assert.ok(await waitFor(() => t.server.stderr().includes(requestId as string)), "the request was logged");
    const lines = t.server.stderr().trim().split("\n");
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const agents = records.find((r) => r.request_id === requestId);
    assert.ok(agents);
    assert.equal(agents.route, "GET /api/v1/agents");
    assert.equal(agents.status, 200);
    assert.equal(agents.level, "info");
    assert.equal(agents.client, "127.0.0.1");
    assert.equal(typeof agents.duration_ms, "number");
    assert.ok(!Number.isNaN(Date.parse(String(agents.time))));
    const deploys = records.filter((r) => r.route === "POST /api/v1/deployments" && r.status === 201);
    assert.equal(deploys.length, 2);
    const first = deploys[0] as Record<string, unknown>;
    assert.equal(first.deployment_id, 1);
    assert.match(String(first.root), /^[0-9a-f]{64}$/);
    assert.equal(first.deployed_by, "alice");
    assert.equal(first.added, 7);
    assert.equal(first.modified, 0);
    assert.equal(first.deleted, 0);
    const rejected = records.find((r) => r.route === "POST /api/v1/deployments" && r.status === 422);
    assert.equal(rejected?.error, "E_VALIDATION");
    const rollback = records.find((r) => r.route === "POST /api/v1/rollback");
    assert.equal(rollback?.deployment_id, 3);
    assert.equal(rollback?.kind, "rollback");
    assert.ok(!t.server.stderr().includes(t.token), "the token is in the log");
  });
});

describe("deployment changes (the dashboard's history and rollback preview)", () => {
  const t = serverAndWorkspace({ prefix: "caxton-ops-changes-" });
  before(async () => {
    const { ws, env } = t;
    assert.equal((await runCli(["deploy", ws, "--server", t.server.url], env)).code, 0);
    writeFileSync(join(ws, "notes.md"), "second\n");
    const coordinator = join(ws, "agents", "coordinator.toml");
    writeFileSync(
      coordinator,
      readFileSync(coordinator, "utf8").replace(/^temperature = .*$/m, "temperature = 1.1"),
    );
    assert.equal((await runCli(["deploy", ws, "--server", t.server.url], env)).code, 0);
  });

  interface Changes {
    deployment_id: number;
    base: { deployment_id: number } | null;
    files: { path: string; change: string; before: string | null; after: string | null }[];
    truncated: boolean;
  }
  const get = async (
    path: string,
  ): Promise<{ status: number; body: Changes & { error?: { code: string } } }> => {
    const r = await fetch(`${t.server.url}${path}`);
    return { status: r.status, body: (await r.json()) as Changes & { error?: { code: string } } };
  };

  test("against the parent by default, against any deployment with ?base; object hashes fetch both versions", async () => {
    const first = await get("/api/v1/deployments/1/changes");
    assert.equal(first.status, 200);
    assert.equal(first.body.base, null);
    assert.ok(first.body.files.every((f) => f.change === "added" && f.before === null));
    const second = await get("/api/v1/deployments/2/changes");
    assert.equal(second.body.base?.deployment_id, 1);
    assert.deepEqual(
      second.body.files.map((f) => [f.path, f.change]),
      [
        ["agents/coordinator.toml", "modified"],
        ["notes.md", "added"],
      ],
    );
    const modified = second.body.files[0];
    assert.ok(modified?.before && modified.after);
    const before = await (await fetch(`${t.server.url}/api/v1/objects/${modified.before}`)).text();
    const after = await (await fetch(`${t.server.url}/api/v1/objects/${modified.after}`)).text();
    assert.match(before, /^temperature = 0\.3$/m);
    assert.match(after, /^temperature = 1\.1$/m);
    // what rolling back from 2 to 1 would change: the reverse
    const preview = await get("/api/v1/deployments/1/changes?base=2");
    assert.deepEqual(
      preview.body.files.map((f) => [f.path, f.change]),
      [
        ["agents/coordinator.toml", "modified"],
        ["notes.md", "deleted"],
      ],
    );
    assert.equal(preview.body.truncated, false);
  });

  test("an unknown deployment is 404, a malformed base 400, with our error codes", async () => {
    assert.equal((await get("/api/v1/deployments/99/changes")).body.error?.code, "E_NOT_FOUND");
    assert.equal((await get("/api/v1/deployments/1/changes?base=99")).status, 404);
    const bad = await get("/api/v1/deployments/1/changes?base=1%3B%20DROP");
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error?.code, "E_BAD_REQUEST");
    assert.equal((await fetch(`${t.server.url}/api/v1/deployments/x/changes`)).status, 404);
    assert.equal(
      (await fetch(`${t.server.url}/api/v1/deployments/1/changes`, { method: "POST" })).status,
      404,
    );
  });
});

describe("log format flag", () => {
  test("--log-format text writes text lines; an unknown format is a usage error", async () => {
    const root = tempDir("caxton-ops-text-");
    const server = await startServe({ dataDir: join(root, "data"), args: ["--log-format", "text"] });
    try {
      await fetch(`${server.url}/health`);
      assert.ok(
        await waitFor(() =>
          /GET \/health 200 [\d.]+ms request_id=\S+ client=127\.0\.0\.1/.test(server.stderr()),
        ),
        server.stderr(),
      );
      assert.doesNotMatch(server.stderr(), /^\{/m);
      const bad = await runCli([
        "serve",
        "--data-dir",
        join(root, "data2"),
        "--listen",
        "127.0.0.1:0",
        "--log-format",
        "xml",
      ]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--log-format takes json or text, got xml/);
    } finally {
      await server.stop();
      cleanup(root);
    }
  });
});

describe("dashboard files", () => {
  const t = serverAndWorkspace({ prefix: "caxton-ops-page-", init: false });

  test("/ is no-cache with a strict CSP; hashed assets are immutable; ETags revalidate; gzip when accepted", async () => {
    const page = await fetch(`${t.server.url}/`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get("cache-control"), "no-cache");
    const csp = page.headers.get("content-security-policy") ?? "";
    for (const d of [
      "default-src 'none'",
      "script-src 'self'",
      "connect-src 'self'",
      "frame-ancestors 'none'",
    ])
      assert.ok(csp.includes(d), `${d} in ${csp}`);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    assert.equal(page.headers.get("x-content-type-options"), "nosniff");
    const html = await page.text();
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] as string);
    assert.equal(assets.length, 2, html);
    for (const path of assets) {
      assert.match(path, /-[A-Z0-9]{8}\.(js|css)$/, "content-hashed names");
      const r = await fetch(`${t.server.url}${path}`);
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("cache-control"), "public, max-age=31536000, immutable");
      assert.match(
        r.headers.get("content-type") ?? "",
        path.endsWith(".js") ? /^text\/javascript/ : /^text\/css/,
      );
      await r.arrayBuffer();
    }
    const etag = page.headers.get("etag") ?? "";
    const revalidated = await fetch(`${t.server.url}/`, { headers: { "If-None-Match": etag } });
    assert.equal(revalidated.status, 304);
    // fetch decodes gzip itself; ask with node:http semantics through the header it reports
    const gz = await fetch(`${t.server.url}/`, { headers: { "Accept-Encoding": "gzip" } });
    assert.equal(gz.headers.get("content-encoding"), "gzip");
    assert.equal(await gz.text(), html);
    assert.equal((await fetch(`${t.server.url}/assets/nope-AAAAAAAA.js`)).status, 404);
  });
});
