/**
 * The token file's lines (protocol/token-grants.ts) and the workspace part of a request path
 * (server/workspace-route.ts): what `caxton token create` writes is read back as written, and hostile input
 * is refused in our words (one E_USAGE sentence that never repeats the secret), never a crash.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { isCaxtonError } from "../../src/errors/caxton-error.js";
import { formatTokenLine, parseTokenLines, TOKEN_ROLES } from "../../src/protocol/token-grants.js";
import { WORKSPACE_NAME_PATTERN } from "../../src/protocol/workspace-name.js";
import { workspaceRoute } from "../../src/server/workspace-route.js";

const secret = fc.stringMatching(/^[A-Za-z0-9_-]{16,64}$/);
const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,62}$/);
const grant = fc.record({
  secret,
  workspace: fc.option(name, { nil: null }),
  role: fc.constantFrom(...TOKEN_ROLES),
});

test("formatted lines parse back to the same grants, with comments and blank lines between", () => {
  fc.assert(
    fc.property(fc.array(grant, { minLength: 1, maxLength: 8 }), (grants) => {
      const text = grants.map((g) => `# a comment\n\n  ${formatTokenLine(g)}  `).join("\n");
      const parsed = parseTokenLines(text, "token file t");
      assert.deepEqual(
        parsed,
        grants.map((g) => ({ ...g, role: g.workspace === null ? "deploy" : g.role })),
      );
    }),
  );
});

test("hostile token files: E_USAGE naming the line, never the secret, never a crash", () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), secret, (junk, s) => {
      for (const text of [junk, `${s} ${junk}`, `${s}\n${junk}\n`]) {
        try {
          for (const g of parseTokenLines(text, "token file t")) {
            assert.ok(g.secret.length >= 16 && !/\s/.test(g.secret));
            assert.ok(g.workspace === null || WORKSPACE_NAME_PATTERN.test(g.workspace));
            assert.ok((TOKEN_ROLES as readonly string[]).includes(g.role));
          }
        } catch (err) {
          assert.ok(isCaxtonError(err), String(err));
          assert.equal(err.code, "E_USAGE");
          assert.ok(!err.message.includes(s), "the secret is never in the message");
        }
      }
    }),
    { numRuns: 500 },
  );
});

test("a role without a workspace, an unknown field, a repeated field or a bad name is refused", () => {
  const s = "s".repeat(20);
  for (const [line, message] of [
    [`${s} role=read`, /a role needs workspace=NAME/],
    [`${s} team=a`, /line 1: expected workspace=NAME or role=ROLE/],
    [`${s} workspace=a workspace=b`, /workspace= is given twice/],
    [`${s} workspace=Team`, /"Team" is not a workspace name/],
    [`${s} workspace=a role=admin`, /role must be read or deploy/],
    ["short", /at least 16 characters/],
    ["# only a comment\n", /holds no token/],
  ] as const) {
    assert.throws(() => parseTokenLines(line, "token file t"), message);
  }
});

test("request paths: the workspace prefix is taken off, anything else is the default workspace", () => {
  assert.deepEqual(workspaceRoute("/api/v1/workspaces/team-a/deployments"), {
    workspace: "team-a",
    path: "/api/v1/deployments",
    prefixed: true,
  });
  assert.deepEqual(workspaceRoute("/api/v1/agents/x"), {
    workspace: "default",
    path: "/api/v1/agents/x",
    prefixed: false,
  });
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), fc.string({ maxLength: 80 }), (rest, ws) => {
      for (const path of [`/api/v1/workspaces/${ws}/${rest}`, `/api/v1/workspaces/${ws}`, `/${rest}`]) {
        const r = workspaceRoute(path);
        assert.ok(r.path.startsWith("/api/v1") || !r.prefixed);
        if (!r.prefixed) assert.equal(r.path, path);
      }
    }),
  );
});
