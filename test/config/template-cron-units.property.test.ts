// Properties and hostile input for the string parsers the agent-format guide needs: template
// placeholders, cron expressions, durations and sizes, and the offset-to-source mapping inside strings.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { stringify } from "smol-toml";
import { checkCron } from "../../src/config/cron-expression.js";
import { fixQuantity, parseDuration, parseSize } from "../../src/config/duration-size.js";
import { buildPositionIndex } from "../../src/config/position-index.js";
import { positionInString } from "../../src/config/string-position.js";
import { scanTemplate } from "../../src/config/template-variables.js";
import { checkTimeZone } from "../../src/config/time-zone.js";
import { parseToml } from "../../src/config/toml-values.js";

const hostile = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc
    .array(fc.constantFrom("{", "}", "{{", "}}", " ", "a", "-", "/", ",", "*", "MON", "7", "\n", "\\"), {
      maxLength: 20,
    })
    .map((p) => p.join("")),
);

test("property: the string parsers never throw and report offsets inside the string", () => {
  fc.assert(
    fc.property(hostile, (s) => {
      for (const p of scanTemplate(s).problems) assert.ok(p.offset >= 0 && p.offset < s.length);
      const cron = checkCron(s);
      if (cron) assert.ok(cron.offset >= 0 && cron.offset <= s.length);
      parseDuration(s);
      parseSize(s);
      fixQuantity(s, "duration");
      fixQuantity(s, "size");
      checkTimeZone(s);
    }),
    { numRuns: 2000 },
  );
});

test("property: well-formed placeholders are listed once each, in order, with no problem", () => {
  const name = fc.stringMatching(/^[a-z_][a-z0-9_]{0,6}(\.[a-z_][a-z0-9_]{0,4})?$/);
  const literal = fc.stringMatching(/^[^{}]{0,8}$/);
  fc.assert(
    fc.property(fc.array(fc.tuple(literal, name, fc.boolean()), { maxLength: 6 }), (parts) => {
      const s = parts.map(([l, n, pad]) => `${l}{{${pad ? " " : ""}${n}${pad ? " " : ""}}}`).join("");
      const scan = scanTemplate(s);
      assert.deepEqual(scan.problems, []);
      assert.deepEqual(scan.variables, [...new Set(parts.map(([, n]) => n))]);
    }),
  );
});

test("property: removing one brace of a placeholder is always an error at that placeholder", () => {
  fc.assert(
    fc.property(
      fc.stringMatching(/^[a-z ]{0,10}$/),
      fc.stringMatching(/^[a-z]{1,8}$/),
      fc.boolean(),
      (pre, n, open) => {
        const s = open ? `${pre}{{${n}}` : `${pre}{${n}}}`;
        const problems = scanTemplate(s).problems;
        assert.equal(problems.length, 1, s);
      },
    ),
  );
});

test("property: every valid five-field expression built from the grammar is accepted", () => {
  const item = (min: number, max: number) =>
    fc.oneof(
      fc.constant("*"),
      fc.integer({ min, max }).map(String),
      fc
        .tuple(fc.integer({ min, max }), fc.integer({ min, max }))
        .map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
      fc.integer({ min: 1, max }).map((n) => `*/${n}`),
    );
  const field = (min: number, max: number) =>
    fc.array(item(min, max), { minLength: 1, maxLength: 3 }).map((l) => l.join(","));
  fc.assert(
    fc.property(field(0, 59), field(0, 23), field(1, 31), field(1, 12), field(0, 7), (...f) => {
      assert.equal(checkCron(f.join(" ")), null, f.join(" "));
      assert.equal(checkCron(`  ${f.join("   ")} `), null);
    }),
  );
});

/** Control characters (tab allowed; newline allowed in multi-line strings), which literal strings cannot hold. */
function hasControl(s: string, multiLine: boolean): boolean {
  return [...s].some((c) => {
    const code = c.charCodeAt(0);
    if (c === "\t" || (multiLine && c === "\n")) return false;
    return code < 0x20 || code === 0x7f;
  });
}

test("property: an offset in any TOML string maps to the source character it came from", () => {
  const str = fc.string({
    unit: fc.constantFrom("a", "{", "}", " ", '"', "'", "\\", "\n", "\t", "é", "\u{1F600}", "\u0001"),
    maxLength: 20,
  });
  fc.assert(
    fc.property(str, fc.constantFrom("basic", "literal", "multi-literal", "multi-basic"), (value, form) => {
      // smol-toml writes basic strings; the literal forms are written by hand when the value allows it.
      let toml = stringify({ k: value });
      if (form === "literal" && !value.includes("'") && !hasControl(value, false)) toml = `k = '${value}'\n`;
      if (form === "multi-literal" && !value.includes("'") && !hasControl(value, true))
        toml = `k = '''\n${value}'''\n`;
      if (form === "multi-basic" && !/["\\]/.test(value) && !hasControl(value, true))
        toml = `k = """\n${value}"""\n`;
      assert.equal(parseToml(toml)["k"], value, toml);
      const at = buildPositionIndex(toml).valueOf(["k"]);
      assert.ok(at);
      const src = toml.split("\n");
      for (let i = 0; i < value.length; i++) {
        const c = value[i] as string;
        if (!/[a{} é]/.test(c)) continue; // characters written as themselves in every form
        const p = positionInString(toml, at, i);
        assert.equal(src[p.line - 1]?.[p.column - 1], c, `${JSON.stringify(toml)} offset ${i}`);
      }
    }),
    { numRuns: 1000 },
  );
});
