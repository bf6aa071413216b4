/**
 * The dashboard in a real browser: Debian's chromium, headless, driven by playwright-core, against the real
 * `caxton serve` and real CLI deploys. Every wait is on a condition (an element, a text, a file's content)
 * with a generous timeout, never a fixed sleep, so a slow, loaded machine only makes it slower.
 * With CAXTON_UPDATE_SCREENSHOTS=1 it also refreshes the screenshots in docs/images/.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { REPO, runCli } from "../support/caxton-process.js";
import { serverAndWorkspace } from "../support/server-and-workspace.js";

const CHROMIUM = "/usr/bin/chromium";
/** Long enough for a loaded 2-core machine; a condition that holds ends the wait at once. */
const WAIT_MS = 60_000;
const TEST = { timeout: 240_000 };

async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      ...(process.getuid?.() === 0 ? ["--no-sandbox"] : []),
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-dev-shm-usage",
    ],
  });
}

async function newPage(browser: Browser, problems: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.setDefaultTimeout(WAIT_MS);
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !/Failed to load resource/.test(m.text()))
      problems.push(`console: ${m.text()}`);
  });
  return page;
}

async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.CAXTON_UPDATE_SCREENSHOTS !== "1") return;
  mkdirSync(join(REPO, "docs", "images"), { recursive: true });
  await page.screenshot({ path: join(REPO, "docs", "images", `${name}.png`) });
}

/** Polls a condition outside the page (a file on disk), up to the timeout. */
async function until(check: () => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// never skipped: `npm test` installs Debian's chromium first (scripts/install-system-packages.sh)
test("Debian's chromium is installed", () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run npm test, or apt-get install -y chromium`);
});

describe("dashboard (chromium)", () => {
  const t = serverAndWorkspace({ prefix: "caxton-dashboard-", serve: { quiet: false } });
  let browser: Browser;
  let page: Page;
  let firstCoordinator: string;
  const problems: string[] = [];

  before(async () => {
    const git = (...args: string[]): string =>
      execFileSync("git", ["-C", t.ws, "-c", "user.email=t@example.com", "-c", "user.name=T", ...args], {
        encoding: "utf8",
      });
    git("init", "-q", "-b", "main");
    git("add", "-A");
    git("commit", "-qm", "initial");
    firstCoordinator = readFileSync(join(t.ws, "agents", "coordinator.toml"), "utf8");
    const d1 = await runCli(
      ["deploy", t.ws, "--server", t.server.url, "--as", "alice", "-m", "first fleet"],
      t.env,
    );
    assert.equal(d1.code, 0, d1.stderr);
    browser = await launch();
    page = await newPage(browser, problems);
  }, TEST);

  after(async () => {
    await browser?.close();
  });

  test("shows the live deployment (id, checksum, who, git) and the live agents", TEST, async () => {
    await page.goto(t.server.url);
    await page.locator("#live-id", { hasText: "#1" }).waitFor();
    const live = await page.locator("#live").innerText();
    assert.match(live, /alice/);
    const checksum = (await runCli(["log", "--server", t.server.url, "--json"])).json() as {
      deployments: { checksum: string; git: { commit: string } }[];
    };
    const [d1] = checksum.deployments;
    assert.ok(d1);
    assert.equal(await page.locator("#live-checksum").innerText(), d1.checksum);
    assert.match(
      await page.locator("#live-git").innerText(),
      new RegExp(`${d1.git.commit.slice(0, 12)} on main`),
    );
    assert.match(live, /first fleet/);
    await page.locator(".agent-row").nth(2).waitFor();
    assert.deepEqual(
      await page.locator(".agent-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-agent"))),
      ["code-reviewer", "coordinator", "researcher"],
    );
    const row = await page.locator('.agent-row[data-agent="coordinator"]').innerText();
    for (const fact of ["1.0.0", "claude-sonnet-4", "task_routing", "delegate_task"])
      assert.ok(row.includes(fact), `${fact} in ${row}`);
    await screenshot(page, "dashboard-overview");
  });

  test("agents are searchable, and a click shows the full parsed config with defaults", TEST, async () => {
    await page.fill("#agent-search", "web_search");
    await page.waitForFunction(`document.querySelectorAll(".agent-row").length === 2`);
    await page.fill("#agent-search", "sonnet");
    await page.waitForFunction(`document.querySelectorAll(".agent-row").length === 1`);
    await page.locator('.agent-row[data-agent="coordinator"]').click();
    await page.locator("#agent-config", { hasText: "context_window" }).waitFor();
    const config = JSON.parse(await page.locator("#agent-config").innerText()) as {
      name: string;
      memory: { context_window: number };
      conversation: { max_turns: number; timeout_seconds: number };
    };
    assert.equal(config.name, "coordinator");
    assert.equal(config.conversation.max_turns, 30, "from the file");
    assert.equal(typeof config.conversation.timeout_seconds, "number", "a default the file does not set");
    assert.equal(typeof config.memory.context_window, "number", "a table the file lacks, with its defaults");
    await screenshot(page, "dashboard-agent-config");
    await page.locator("#agent-dialog [data-close]").click();
    await page.fill("#agent-search", "");
    await page.waitForFunction(`document.querySelectorAll(".agent-row").length === 3`);
  });

  test("a deploy from the CLI appears without a reload", TEST, async () => {
    await page.locator('#stream-state[data-state="live"]').waitFor();
    // a marker in the page: still there afterwards means the page was not reloaded
    await page.evaluate("window.notReloaded = true");
    const file = join(t.ws, "agents", "coordinator.toml");
    writeFileSync(file, firstCoordinator.replace(/^temperature = .*$/m, "temperature = 0.9"));
    assert.notEqual(readFileSync(file, "utf8"), firstCoordinator);
    const d2 = await runCli(["deploy", t.ws, "--server", t.server.url, "--as", "bob"], t.env);
    assert.equal(d2.code, 0, d2.stderr);
    // the notice comes first (then the reload), and hides itself after a while: wait for it first
    await page.locator("#notice", { hasText: "Deployment #2 applied" }).waitFor();
    await page.locator("#live-id", { hasText: "#2" }).waitFor();
    assert.match(await page.locator("#live-who").innerText(), /bob/);
    assert.equal(await page.evaluate("window.notReloaded"), true);
    await page.locator('[data-deployment="2"]').waitFor();
    await page.locator('[data-deployment="1"]').waitFor();
  });

  test(
    "the history shows a deployment's changes and a per-file diff with the changed line",
    TEST,
    async () => {
      await page.locator('[data-deployment="2"] .changes-toggle').click();
      const fileButton = page.locator(
        '[data-deployment="2"] button.file[data-path="agents/coordinator.toml"]',
      );
      await fileButton.click();
      await page.locator("#diff-lines .line.add", { hasText: "+temperature = 0.9" }).waitFor();
      const removed = await page.locator("#diff-lines .line.del").allInnerTexts();
      assert.ok(
        removed.some((l) => /-temperature = 0\.3/.test(l)),
        removed.join("\n"),
      );
      assert.match(await page.locator("#diff-title").innerText(), /agents\/coordinator\.toml/);
      await screenshot(page, "dashboard-diff");
      await page.locator("#diff-dialog [data-close]").click();
    },
  );

  test("the history says what each deployment meant for its agents", TEST, async () => {
    const plan = page.locator('[data-deployment="2"] .plan');
    await plan.locator(".tag.impact.compatible", { hasText: "compatible" }).waitFor();
    const entry = plan.locator(".plan-entry.compatible", { hasText: "coordinator (modified)" });
    assert.match((await entry.getAttribute("title")) ?? "", /compatible; llm\.temperature/);
    await page
      .locator('[data-deployment="1"] .plan .plan-entry', { hasText: "researcher (added)" })
      .waitFor();
  });

  test("rollback through the page names what it changes, then changes DATA/current", TEST, async () => {
    const live = join(t.root, "data", "current", "agents", "coordinator.toml");
    assert.match(readFileSync(live, "utf8"), /temperature = 0\.9/);
    await page.locator('[data-deployment="1"] button.rollback').click();
    await page.locator("#rollback-files li", { hasText: "agents/coordinator.toml" }).waitFor();
    assert.match(await page.locator("#rollback-title").innerText(), /deployment #1/);
    assert.match(
      await page.locator("#rollback-summary").innerText(),
      /1 file\(s\): 1 modified, 0 added, 0 deleted/,
    );
    assert.match(await page.locator("#rollback-files").innerText(), /modified\s+agents\/coordinator\.toml/);
    await screenshot(page, "dashboard-rollback");
    await page.locator("#rollback-confirm:not([disabled])").click();
    await until(
      () => readFileSync(live, "utf8") === firstCoordinator,
      "DATA/current to hold deployment #1's file",
    );
    await page.locator("#live-id", { hasText: "#3" }).waitFor();
    assert.match(await page.locator('[data-deployment="3"]').innerText(), /rollback to #1/);
    const log = (await runCli(["log", "--server", t.server.url, "--json"])).json() as {
      deployments: { id: number; kind: string; rollback_of: number | null }[];
    };
    assert.deepEqual(log.deployments[0], { ...log.deployments[0], id: 3, kind: "rollback", rollback_of: 1 });
  });

  test("no script error and no CSP violation on the way", () => {
    assert.deepEqual(problems, []);
  });
});

describe("dashboard with a token (chromium)", () => {
  const g = serverAndWorkspace({ prefix: "caxton-dashboard-token-", token: true, serve: { quiet: false } });
  let browser: Browser;

  before(async () => {
    assert.equal((await runCli(["deploy", g.ws, "--server", g.server.url], g.env)).code, 0);
    browser = await launch();
  }, TEST);

  after(async () => {
    await browser?.close();
  });

  test(
    "asks for the token; a wrong one shows an error; the right one is sent as a bearer header, never in a URL",
    TEST,
    async () => {
      const problems: string[] = [];
      const page = await newPage(browser, problems);
      const urls: string[] = [];
      const authorized: string[] = [];
      page.on("request", (r) => {
        urls.push(r.url());
        if (r.headers().authorization === `Bearer ${g.token}`) authorized.push(new URL(r.url()).pathname);
      });
      await page.goto(g.server.url);
      await page.locator("#token-dialog[open]").waitFor();
      assert.equal(await page.locator("#app").isHidden(), true, "nothing is shown without the token");
      await page.fill("#token-input", "not-the-token-" + "x".repeat(30));
      await page.locator("#token-form button[type=submit]").click();
      await page.locator("#token-error", { hasText: "the token was not accepted" }).waitFor();
      await screenshot(page, "dashboard-token");
      await page.fill("#token-input", g.token);
      await page.locator("#token-form button[type=submit]").click();
      await page.locator("#live-id", { hasText: "#1" }).waitFor();
      await page.locator('#stream-state[data-state="live"]').waitFor();
      assert.ok(
        authorized.includes("/api/v1/events"),
        `the event stream carries the token: ${authorized.join(", ")}`,
      );
      assert.ok(authorized.includes("/api/v1/agents"));
      assert.deepEqual(
        urls.filter((u) => u.includes(g.token)),
        [],
        "the token is in no URL",
      );
      assert.equal(page.url().includes(g.token), false);
      assert.deepEqual(problems, []);
      await page.close();
    },
  );
});

describe("dashboard per workspace (chromium)", () => {
  const t = serverAndWorkspace({
    prefix: "caxton-dashboard-ws-",
    setUp: async (t) => {
      assert.equal((await runCli(["deploy", t.ws, "--server", t.server.url], t.env)).code, 0);
      rmSync(join(t.ws, "agents", "researcher"), { recursive: true });
      const d = await runCli(
        ["deploy", t.ws, "--server", t.server.url, "--workspace", "team-a", "--yes"],
        t.env,
      );
      assert.equal(d.code, 0, d.stderr);
    },
  });
  let browser: Browser;

  before(async () => {
    browser = await launch();
  }, TEST);

  after(async () => {
    await browser?.close();
  });

  test("?workspace= shows that workspace, live; the picker switches workspaces", TEST, async () => {
    const problems: string[] = [];
    const page = await newPage(browser, problems);
    const paths: string[] = [];
    page.on("request", (r) => paths.push(new URL(r.url()).pathname));
    await page.goto(`${t.server.url}/?workspace=team-a`);
    await page.locator("#live-id", { hasText: "#2" }).waitFor();
    await page.waitForFunction(`document.querySelectorAll(".agent-row").length === 2`);
    await page.locator('#stream-state[data-state="live"]').waitFor();
    assert.ok(paths.includes("/api/v1/workspaces/team-a/events"), paths.join(", "));
    assert.ok(!paths.includes("/api/v1/agents"), "nothing of the default workspace is read");
    const picker = page.locator("#workspace-picker");
    await picker.locator('option[value="default"]').waitFor({ state: "attached" });
    assert.equal(await picker.isVisible(), true);
    assert.equal(await picker.inputValue(), "team-a");
    // a deploy to team-a appears without a reload
    writeFileSync(join(t.ws, "notes.txt"), "team-a\n");
    const d3 = await runCli(["deploy", t.ws, "--server", t.server.url, "--workspace", "team-a"], t.env);
    assert.equal(d3.code, 0, d3.stderr);
    await page.locator("#live-id", { hasText: "#3" }).waitFor();
    await picker.selectOption("default");
    await page.waitForURL((u) => u.search === "");
    await page.locator("#live-id", { hasText: "#1" }).waitFor();
    await page.waitForFunction(`document.querySelectorAll(".agent-row").length === 3`);
    assert.deepEqual(problems, []);
    await page.close();
  });
});
