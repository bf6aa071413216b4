/**
 * The dashboard's pure parts, in Node: the Server-Sent Events reader against the server's own framing (and
 * hostile text), and the agent search.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseSseBlock } from "../../src/dashboard/sse-frame.js";
import { matchesAgent, type AgentSummary } from "../../src/dashboard/agent-search.js";

test("an SSE block as the server frames it reads back as the same id, event and JSON data", () => {
  fc.assert(
    fc.property(
      fc.nat(),
      fc.constantFrom("deployment.applied", "deployment.rejected"),
      fc.jsonValue(),
      (seq, type, value) => {
        // the server's framing (server/event-hub.ts): JSON.stringify never emits a raw newline
        const block = `id: ${seq}\nevent: ${type}\ndata: ${JSON.stringify(value)}`;
        const frame = parseSseBlock(block);
        assert.equal(frame.id, String(seq));
        assert.equal(frame.event, type);
        assert.deepEqual(JSON.parse(frame.data ?? "null"), JSON.parse(JSON.stringify(value)));
      },
    ),
  );
});

test("SSE: several data lines join with newlines; comments, unknown fields and a bad retry are ignored", () => {
  const frame = parseSseBlock(": keep-alive\ndata: a\ndata:b\nretry: x\nfoo: bar\nid");
  assert.deepEqual(frame, { id: "", event: "message", data: "a\nb", retry: 0 });
  assert.equal(parseSseBlock("retry: 2000").retry, 2000);
  assert.equal(parseSseBlock(": only a comment").data, null);
});

test("SSE: any text parses without throwing, into strings and a non-negative retry", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 400 }), (text) => {
      const frame = parseSseBlock(text);
      assert.equal(typeof frame.event, "string");
      assert.ok(frame.data === null || typeof frame.data === "string");
      assert.ok(Number.isInteger(frame.retry) && frame.retry >= 0);
    }),
  );
});

const word = fc.stringMatching(/^[a-z][a-z0-9_-]{0,11}$/);
const agent: fc.Arbitrary<AgentSummary> = fc.record({
  name: word,
  version: fc.constantFrom("1.0.0", "0.3.1", "2.10.0"),
  path: word.map((w) => `agents/${w}.toml`),
  checksum: fc.constant("0".repeat(64)),
  capabilities: fc.array(word, { maxLength: 4 }),
  tools: fc.array(word, { maxLength: 4 }),
  model: fc.option(word, { nil: null }),
});

test("agent search: the empty query matches all; any field's text, in any case, matches its agent", () => {
  fc.assert(
    fc.property(
      agent,
      fc.constantFrom("name", "model", "capability", "tool"),
      fc.boolean(),
      (a, field, upper) => {
        assert.ok(matchesAgent(a, ""));
        assert.ok(matchesAgent(a, "   "));
        const text =
          field === "name"
            ? a.name
            : field === "model"
              ? a.model
              : field === "capability"
                ? a.capabilities[0]
                : a.tools[0];
        if (!text) return;
        assert.ok(matchesAgent(a, upper ? text.toUpperCase() : text));
      },
    ),
  );
});

test("agent search: more words only narrow the result", () => {
  fc.assert(
    fc.property(fc.array(agent, { maxLength: 20 }), word, word, (agents, w1, w2) => {
      const one = agents.filter((a) => matchesAgent(a, w1));
      const two = agents.filter((a) => matchesAgent(a, `${w1} ${w2}`));
      assert.ok(two.every((a) => one.includes(a)));
    }),
  );
});
