// Properties of the agent-aware plan over generated agents: a config compared with itself is cosmetic,
// a reformat of the same values is cosmetic, and adding then removing a tool is compatible then breaking.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { stringify } from "smol-toml";
import { analyzeFile } from "../../src/config/analyze-file.js";
import { configSide, planAgentChanges } from "../../src/config/plan-agent-changes.js";
import { enc } from "./helpers.js";

const word = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/);
const agent = fc.record({
  name: fc.stringMatching(/^[a-z][a-z0-9]{1,8}$/),
  version: fc.constantFrom("1.0.0", "2.3.4"),
  description: fc.string({ maxLength: 20 }),
  capabilities: fc.uniqueArray(word, { maxLength: 4 }),
  tools: fc.uniqueArray(word, { maxLength: 4 }),
  system_prompt: fc.string({ maxLength: 30 }).filter((s) => !s.includes("{{") && !s.includes("}}")),
  user_prompt_template: fc
    .uniqueArray(word, { maxLength: 3 })
    .map((vs) => vs.map((v) => `{{${v}}}`).join(" ")),
  llm: fc.record({
    provider: fc.constantFrom("openai", "local"),
    model: word,
    temperature: fc.constantFrom(0.1, 1.5),
  }),
});
type Agent = typeof agent extends fc.Arbitrary<infer T> ? T : never;

const PATH = "agents/x.toml";
const planOf = (before: string, after: string) => {
  const side = (t: string) => configSide(new Map([[PATH, analyzeFile(PATH, enc(t))]]));
  return planAgentChanges(side(before), side(after), [PATH]);
};

/** The same values in another form: keys reversed, the tool list as a [tools] table, comments added. */
function reformat(a: Agent): string {
  const { tools, llm, ...top } = a;
  const entries = Object.entries(top).reverse();
  return [
    "# reformatted",
    ...entries.map(([k, v]) => `${k} = ${JSON.stringify(v)}   # ${k}`),
    "",
    "[llm]",
    ...Object.entries(llm)
      .reverse()
      .map(([k, v]) => `${k} = ${JSON.stringify(v)}`),
    "[tools]",
    `available = [\n${tools.map((t) => `  "${t}",`).join("\n")}\n]`,
    "",
  ].join("\n");
}

test("property: a config compared with itself, or with a reformat of the same values, is cosmetic", () => {
  fc.assert(
    fc.property(agent, (a) => {
      const text = stringify(a);
      assert.deepEqual(analyzeFile(PATH, enc(text)).diagnostics, [], text);
      for (const other of [text, reformat(a)]) {
        const plan = planOf(text, other);
        assert.deepEqual(
          plan.agents.map((x) => [x.change, x.impact, x.fields]),
          [["modified", "cosmetic", []]],
          other,
        );
      }
    }),
    { numRuns: 200 },
  );
});

test("property: adding a tool is compatible; removing it again is breaking for that tool", () => {
  fc.assert(
    fc.property(agent, word, (a, extra) => {
      fc.pre(!a.tools.includes(extra));
      const before = stringify(a);
      const after = stringify({ ...a, tools: [...a.tools, extra] });
      const add = planOf(before, after).agents[0];
      assert.equal(add?.impact, "compatible");
      assert.ok(add?.reasons.includes(`tool \`${extra}\` added`));
      const remove = planOf(after, before).agents[0];
      assert.equal(remove?.impact, "breaking");
      assert.ok(remove?.reasons.includes(`tool \`${extra}\` removed`));
      assert.deepEqual(remove?.fields, ["tools.available"]);
    }),
    { numRuns: 200 },
  );
});

test("property: the plan's impact is the most serious of its entries, and breaking is never lost by a round trip", () => {
  fc.assert(
    fc.property(agent, agent, (a, b) => {
      const plan = planOf(stringify(a), stringify({ ...b, name: a.name }));
      const order = ["cosmetic", "compatible", "breaking"];
      const worst = plan.agents.map((x) => order.indexOf(x.impact)).reduce((x, y) => Math.max(x, y), -1);
      assert.equal(plan.impact, order[worst] ?? null);
      const lost =
        a.tools.some((t) => !b.tools.includes(t)) || a.capabilities.some((c) => !b.capabilities.includes(c));
      if (lost) assert.equal(plan.impact, "breaking");
    }),
    { numRuns: 200 },
  );
});
