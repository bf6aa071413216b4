/**
 * The conventions users of git and kubectl rely on, on the real CLI against a real server: suggestions for
 * typos, extra arguments refused, `help CMD`, `--json` as one line, exit codes by class, a quiet closed
 * pipe, `diff` as a patch `git apply` takes, and shell completion.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { CAXTON, cleanup, runCli, startServe } from "../support/caxton-process.js";
import { serverAndWorkspace } from "../support/server-and-workspace.js";
import { snapshot } from "../support/tree-snapshot.js";

const t = serverAndWorkspace({
  setUp: async (t) => {
    assert.equal((await runCli(["deploy", t.ws, "--server", t.server.url], t.env)).code, 0);
  },
});

describe("usage errors in our words", () => {
  test("a misspelled command or flag gets a suggestion, exit 2, no parser jargon", async () => {
    const cmd = await runCli(["deploi"], t.env);
    assert.equal(cmd.code, 2);
    assert.match(cmd.stderr, /caxton has no command "deploi"/);
    assert.match(cmd.stderr, /did you mean `caxton deploy`\?/);
    const flag = await runCli(["deploy", t.ws, "--dryrun"], t.env);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /caxton deploy has no flag --dryrun/);
    assert.match(flag.stderr, /did you mean --dry-run\?/);
    const value = await runCli(["deploy", t.ws, "--server"], t.env);
    assert.equal(value.code, 2);
    assert.match(value.stderr, /--server needs a value: --server URL/);
    for (const r of [cmd, flag, value])
      assert.doesNotMatch(r.stderr, /positional argument|ERR_PARSE_ARGS|\n\s+at /);
  });

  test("extra positional arguments are refused (exit 2) instead of ignored", async () => {
    for (const args of [
      ["validate", t.ws, t.ws],
      ["log", "3", "--server", t.server.url],
      ["status", t.ws, "extra", "--server", t.server.url],
      ["serve", "data"],
    ]) {
      const r = await runCli(args, t.env);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /takes (no arguments|at most one argument)/);
      assert.doesNotMatch(r.stdout, /✓/);
    }
  });

  test("`caxton help CMD` is `caxton CMD --help`, and lists exactly the flags the parser takes", async () => {
    const help = await runCli(["help", "deploy"], t.env);
    const flag = await runCli(["deploy", "--help"], t.env);
    assert.equal(help.code, 0);
    assert.equal(help.stdout, flag.stdout);
    for (const f of ["--dry-run", "--yes", "--verbose", "--quiet", "--server URL", "--token-file FILE"])
      assert.ok(help.stdout.includes(f), f);
    const serve = await runCli(["help", "serve"], t.env);
    for (const f of [
      "--data-dir",
      "--listen",
      "--token-file",
      "--tls-cert",
      "--tls-key",
      "--keep",
      "--gc-grace",
      "--max-file-bytes",
      "--max-files",
      "--max-body-bytes",
      "--idle-timeout",
      "--log-format",
      "--quiet",
    ])
      assert.ok(serve.stdout.includes(f), f);
    const typo = await runCli(["help", "deplyo"], t.env);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /did you mean `caxton deploy`/);
  });
});

describe("output and exit codes", () => {
  test("--json is one line for every command, on success and on failure", async () => {
    const runs = [
      ["deploy", t.ws, "--server", t.server.url, "--json"],
      ["status", t.ws, "--server", t.server.url, "--json"],
      ["validate", t.ws, "--json"],
      ["diff", t.ws, "--server", t.server.url, "--json"],
      ["agents", "--server", t.server.url, "--json"],
      ["agents", "coordinator", "--server", t.server.url, "--json"],
      ["log", "--server", t.server.url, "--json"],
      ["show", "--server", t.server.url, "--json"],
      ["show", "999", "--server", t.server.url, "--json"],
      ["deploy", join(t.root, "nope"), "--json"],
    ];
    for (const args of runs) {
      const r = await runCli(args, t.env, t.ws);
      assert.equal(r.stdout.split("\n").length, 2, `${args.join(" ")}: ${r.stdout}`);
      assert.ok(r.stdout.endsWith("}\n"));
      r.json();
    }
  });

  test("not authorized is exit 4, no such deployment or agent exit 5, unreachable exit 3", async () => {
    const tokenFile = join(t.root, "token");
    assert.equal((await runCli(["token", "create", tokenFile], t.env)).code, 0);
    const guarded = await startServe({
      dataDir: join(t.root, "data-token"),
      args: ["--quiet", "--token-file", tokenFile],
    });
    try {
      const r = await runCli(["log", "--server", guarded.url], t.env);
      assert.equal(r.code, 4, r.stderr);
    } finally {
      await guarded.stop();
    }
    const missing = await runCli(["rollback", "999", "--server", t.server.url], t.env);
    assert.equal(missing.code, 5, missing.stderr);
    const agent = await runCli(["agents", "nobody", "--server", t.server.url], t.env);
    assert.equal(agent.code, 5, agent.stderr);
    assert.match(agent.stderr, /no agent named "nobody" is live/);
    const show = await runCli(["show", "999", "--server", t.server.url], t.env);
    assert.equal(show.code, 5);
    const down = await runCli(["log", "--server", "http://127.0.0.1:9"], t.env);
    assert.equal(down.code, 3);
  });

  test("a closed pipe ends the command quietly", () => {
    const big = join(t.root, "big-ws");
    cpSync(t.ws, big, { recursive: true });
    writeFileSync(join(big, "notes.md"), Array.from({ length: 40_000 }, (_, i) => `line ${i}\n`).join(""));
    const r = spawnSync(
      "bash",
      [
        "-c",
        `'${process.execPath}' '${CAXTON}' diff '${big}' --server ${t.server.url} | head -1; echo "status=\${PIPESTATUS[0]}" >&2`,
      ],
      { env: { ...process.env, ...t.env, NO_COLOR: "1" }, encoding: "utf8", timeout: 60_000 },
    );
    assert.equal(r.stdout, "diff --git a/notes.md b/notes.md\n");
    assert.match(r.stderr, /status=0/);
    assert.doesNotMatch(r.stderr, /EPIPE|Error|\n\s+at /);
  });
});

describe("diff", () => {
  test("a patch git apply takes (server a/ → workspace b/), exit 1 with differences, 0 without", async () => {
    writeFileSync(
      join(t.ws, "agents", "coordinator.toml"),
      readFileSync(join(t.ws, "agents", "coordinator.toml"), "utf8").replace(
        'version = "1.0.0"',
        'version = "1.2.0"',
      ),
    );
    writeFileSync(join(t.ws, "new-notes.md"), "# new\nfirst line\n");
    writeFileSync(join(t.ws, "empty.txt"), "");
    cleanup(join(t.ws, "agents", "researcher", "prompt-notes.md"));
    const d = await runCli(["diff", t.ws, "--server", t.server.url], t.env);
    assert.equal(d.code, 1, d.stderr);
    assert.match(d.stdout, /^--- a\/agents\/coordinator\.toml$/m);
    assert.match(d.stdout, /^\+\+\+ b\/agents\/coordinator\.toml$/m);
    assert.match(d.stdout, /^new file mode 100644$/m);
    assert.match(d.stdout, /^deleted file mode 100644$/m);
    const copy = join(t.root, "server-copy");
    cpSync(join(t.server.dataDir, "current"), copy, { recursive: true, dereference: true });
    writeFileSync(join(t.root, "change.patch"), d.stdout);
    const apply = spawnSync("git", ["apply", "--verbose", join(t.root, "change.patch")], {
      cwd: copy,
      encoding: "utf8",
    });
    assert.equal(apply.status, 0, apply.stderr);
    const expected = snapshot(t.ws);
    assert.deepEqual(snapshot(copy), expected, "the patched server tree is the workspace");
    assert.equal((await runCli(["deploy", t.ws, "--server", t.server.url, "--yes"], t.env)).code, 0);
    const none = await runCli(["diff", t.ws, "--server", t.server.url], t.env);
    assert.equal(none.code, 0, none.stdout + none.stderr);
    assert.equal(none.stdout, "");
  });
});

describe("completion", () => {
  test("bash completes commands, flags and folders; zsh and fish scripts are generated", () => {
    const script = spawnSync(process.execPath, [CAXTON, "completion", "bash"], { encoding: "utf8" }).stdout;
    mkdirSync(join(t.root, "complete-me"), { recursive: true });
    const complete = (words: string[]): string[] => {
      const r = spawnSync(
        "bash",
        [
          "-c",
          `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _caxton; printf '%s\\n' "\${COMPREPLY[@]}"`,
        ],
        { cwd: t.root, encoding: "utf8" },
      );
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.split("\n").filter(Boolean);
    };
    assert.deepEqual(complete(["caxton", "dep"]), ["deploy"]);
    assert.ok(complete(["caxton", "deploy", "--dr"]).includes("--dry-run"));
    assert.ok(complete(["caxton", "serve", "--log"]).includes("--log-format"));
    assert.ok(complete(["caxton", "deploy", "compl"]).includes("complete-me"));
    assert.deepEqual(complete(["caxton", "completion", "z"]), ["zsh"]);
    const zsh = spawnSync(process.execPath, [CAXTON, "completion", "zsh"], { encoding: "utf8" });
    assert.match(zsh.stdout, /^#compdef caxton/);
    assert.match(zsh.stdout, /--dry-run'\[validate/);
    const fish = spawnSync(process.execPath, [CAXTON, "completion", "fish"], { encoding: "utf8" });
    assert.match(fish.stdout, /complete -c caxton -n '__fish_seen_subcommand_from deploy' -l dry-run/);
    const bad = spawnSync(process.execPath, [CAXTON, "completion", "bsh"], { encoding: "utf8" });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /did you mean `caxton completion bash`/);
  });
});
