/**
 * Incremental validation must accept exactly what full validation accepts: from a valid live workspace,
 * after random changes (edits, broken files, duplicate names, unknown MCP servers, deletions, a changed
 * tools/mcp_servers.toml), it reports an error iff `validateWorkspace` does, with the same errors.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ConfigCache } from "../../src/config/config-cache.js";
import { validateWorkspace } from "../../src/config/validate-workspace.js";
import { sha256Hex } from "../../src/merkle/sha256.js";
import { validateIncrementally } from "../../src/server/incremental-validation.js";

const agent = (name: string, tools: string[], version = "1.0.0"): string =>
  `name = "${name}"\nversion = "${version}"\ncapabilities = ["x"]\nsystem_prompt = "s"\nuser_prompt_template = "t"\n\n[tools]\navailable = [${tools.map((t) => `"${t}"`).join(", ")}]\n`;
const servers = (names: string[]): string =>
  names.map((n) => `[servers.${n}]\ncommand = "run-${n}"\n`).join("\n");

type Files = Map<string, string>;

function entries(files: Files) {
  return [...files].map(([path, text]) => {
    const bytes = Buffer.from(text);
    return { path, checksum: sha256Hex(bytes), load: () => bytes };
  });
}

const errorsOf = (ds: { severity: string; path: string; code: string; line: number | null }[]) =>
  ds
    .filter((d) => d.severity === "error")
    .map((d) => `${d.path}:${d.line}:${d.code}`)
    .sort();

const change = fc.oneof(
  fc.record({ kind: fc.constant("edit" as const), i: fc.nat(9), v: fc.integer({ min: 1, max: 9 }) }),
  fc.record({ kind: fc.constant("dup" as const), i: fc.nat(9), j: fc.nat(9) }),
  fc.record({ kind: fc.constant("badtool" as const), i: fc.nat(9) }),
  fc.record({ kind: fc.constant("syntax" as const), i: fc.nat(9) }),
  fc.record({ kind: fc.constant("delete" as const), i: fc.nat(9) }),
  fc.record({ kind: fc.constant("add" as const), n: fc.nat(20) }),
  fc.record({ kind: fc.constant("servers" as const), keepGit: fc.boolean() }),
);

test("incremental validation agrees with full validation after random changes to a valid workspace", () => {
  fc.assert(
    fc.property(fc.array(change, { minLength: 1, maxLength: 4 }), (changes) => {
      const live: Files = new Map();
      for (let i = 0; i < 10; i++)
        live.set(`agents/a${i}.toml`, agent(`agent-${i}`, ["read_file", "mcp__git__log"]));
      live.set("tools/mcp_servers.toml", servers(["git", "web"]));
      const cache = new ConfigCache();
      const base = validateIncrementally(cache, entries(live), undefined);
      assert.deepEqual(errorsOf(base.diagnostics), [], "the live workspace is valid");

      const next: Files = new Map(live);
      for (const c of changes) {
        if (c.kind === "edit")
          next.set(`agents/a${c.i}.toml`, agent(`agent-${c.i}`, ["read_file"], `1.0.${c.v}`));
        if (c.kind === "dup") next.set(`agents/a${c.i}.toml`, agent(`agent-${c.j}`, ["read_file"]));
        if (c.kind === "badtool") next.set(`agents/a${c.i}.toml`, agent(`agent-${c.i}`, ["mcp__nowhere__x"]));
        if (c.kind === "syntax") next.set(`agents/a${c.i}.toml`, "name = [\n");
        if (c.kind === "delete") next.delete(`agents/a${c.i}.toml`);
        if (c.kind === "add") next.set(`agents/new${c.n}.toml`, agent(`new-${c.n}`, ["mcp__web__search"]));
        if (c.kind === "servers") next.set("tools/mcp_servers.toml", servers(c.keepGit ? ["git"] : ["web"]));
      }
      const full = validateWorkspace([...next].map(([path, text]) => ({ path, content: Buffer.from(text) })));
      const incremental = validateIncrementally(cache, entries(next), base.state);
      assert.deepEqual(errorsOf(incremental.diagnostics), errorsOf(full));
    }),
    { numRuns: 300 },
  );
});

test("given only the changed config files, a chain of deployments validates and ends as with every file given", () => {
  const valid = (i: number, v: number) => agent(`agent-${i}`, ["read_file", "mcp__git__log"], `1.0.${v}`);
  fc.assert(
    fc.property(
      fc.array(fc.array(change, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 5 }),
      (steps) => {
        let live: Files = new Map();
        for (let i = 0; i < 10; i++) live.set(`agents/a${i}.toml`, valid(i, 0));
        live.set("tools/mcp_servers.toml", servers(["git", "web"]));
        const cache = new ConfigCache();
        let state = validateIncrementally(cache, entries(live), undefined).state;
        for (const changes of steps) {
          const next: Files = new Map(live);
          for (const c of changes) {
            if (c.kind === "edit") next.set(`agents/a${c.i}.toml`, valid(c.i, c.v));
            if (c.kind === "dup") next.set(`agents/a${c.i}.toml`, agent(`agent-${c.j}`, ["read_file"]));
            if (c.kind === "badtool")
              next.set(`agents/a${c.i}.toml`, agent(`agent-${c.i}`, ["mcp__nowhere__x"]));
            if (c.kind === "syntax") next.set(`agents/a${c.i}.toml`, "name = [\n");
            if (c.kind === "delete") next.delete(`agents/a${c.i}.toml`);
            if (c.kind === "add")
              next.set(`agents/new${c.n}.toml`, agent(`new-${c.n}`, ["mcp__web__search"]));
          }
          const changed = new Map([...next].filter(([path, text]) => live.get(path) !== text));
          const removed = [...live.keys()].filter((path) => !next.has(path));
          const whole = validateIncrementally(cache, entries(next), state);
          const partial = validateIncrementally(
            cache,
            { complete: false, entries: entries(changed), removed },
            state,
          );
          assert.deepEqual(errorsOf(partial.diagnostics), errorsOf(whole.diagnostics));
          for (const key of ["checksums", "analyses", "agents", "names"] as const) {
            assert.deepEqual(
              new Map<string, unknown>(partial.state[key]),
              new Map<string, unknown>(whole.state[key]),
              key,
            );
          }
          if (errorsOf(partial.diagnostics).length > 0) continue; // a rejected deployment never goes live
          live = next;
          state = partial.state;
        }
      },
    ),
    { numRuns: 200 },
  );
});
