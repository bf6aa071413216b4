import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "smol-toml";
import { buildPositionIndex, type PathSegment } from "../../src/config/position-index.js";

const at = (line: number, column: number) => ({ line, column });

function check(text: string, expected: [PathSegment[], { line: number; column: number }, ...unknown[]][]) {
  parse(text); // the index is only ever built for documents smol-toml accepts
  const index = buildPositionIndex(text);
  for (const [path, key, value] of expected) {
    assert.deepEqual(index.keyOf(path), key, `key of ${JSON.stringify(path)}`);
    if (value !== undefined) assert.deepEqual(index.valueOf(path), value, `value of ${JSON.stringify(path)}`);
  }
}

test("position index: top-level keys, headers, dotted and quoted keys", () => {
  check(
    [
      'name = "x"', // 1
      "  version   =   '1'", // 2
      'a.b . "c d" = 1', // 3
      "[tools]", // 4
      'available = ["a", "b"]', // 5
      "[ llm . 'x.y' ]", // 6
      '"quoted key" = true # comment', // 7
    ].join("\n"),
    [
      [["name"], at(1, 1), at(1, 8)],
      [["version"], at(2, 3), at(2, 17)],
      [["a"], at(3, 1)],
      [["a", "b"], at(3, 3)],
      [["a", "b", "c d"], at(3, 1), at(3, 15)],
      [["tools"], at(4, 1)],
      [["tools", "available"], at(5, 1), at(5, 13)],
      [["tools", "available", 0], at(5, 14), at(5, 14)],
      [["tools", "available", 1], at(5, 19), at(5, 19)],
      [["llm", "x.y"], at(6, 1)],
      [["llm", "x.y", "quoted key"], at(7, 1), at(7, 16)],
    ],
  );
});

test("position index: multi-line strings are not read as keys or headers", () => {
  const text = [
    "system_prompt = '''", // 1
    "[not_a_table]", // 2
    "fake = 1", // 3
    "'''", // 4
    'other = """', // 5
    'x = \\""" # still inside', // 6
    '[x] """"', // 7
    'after = "a # b" # real comment', // 8
    "last = '''it's''''", // 9
    'end = "\\"[y]\\""', // 10
  ].join("\n");
  check(text, [
    [["system_prompt"], at(1, 1), at(1, 17)],
    [["other"], at(5, 1), at(5, 9)],
    [["after"], at(8, 1), at(8, 9)],
    [["last"], at(9, 1), at(9, 8)],
    [["end"], at(10, 1), at(10, 7)],
  ]);
  const index = buildPositionIndex(text);
  assert.equal(index.get(["not_a_table"]), undefined);
  assert.equal(index.get(["fake"]), undefined);
  assert.equal(index.get(["x"]), undefined);
  assert.equal(index.firstHeader(), undefined);
});

test("position index: arrays over several lines with comments, nested arrays and inline tables", () => {
  check(
    [
      "available = [", // 1
      '  "a", # first', // 2
      "  # a comment with ] and ,", // 3
      '  "b",', // 4
      "]", // 5
      "nested = [[1, 2], [3]]", // 6
      'env = { A = "x", b.c = { d = [1] } }', // 7
      "when = 1979-05-27 07:32:00Z", // 8
      "n = 1", // 9
    ].join("\n"),
    [
      [["available", 0], at(2, 3), at(2, 3)],
      [["available", 1], at(4, 3), at(4, 3)],
      [["nested", 0, 1], at(6, 15)],
      [["nested", 1, 0], at(6, 20)],
      [["env", "A"], at(7, 9), at(7, 13)],
      [["env", "b", "c", "d", 0], at(7, 31)],
      [["when"], at(8, 1), at(8, 8)],
      [["n"], at(9, 1), at(9, 5)],
    ],
  );
});

test("position index: arrays of tables get their element index in the path", () => {
  check(
    [
      "[[servers]]", // 1
      'name = "a"', // 2
      "[servers.opts]", // 3
      "x = 1", // 4
      "[[servers]]", // 5
      'name = "b"', // 6
      "[[servers.ports]]", // 7
      "p = 1", // 8
      "[[servers.ports]]", // 9
      "p = 2", // 10
    ].join("\n"),
    [
      [["servers"], at(1, 1)],
      [["servers", 0], at(1, 1)],
      [["servers", 0, "name"], at(2, 1), at(2, 8)],
      [["servers", 0, "opts", "x"], at(4, 1)],
      [["servers", 1, "name"], at(6, 1), at(6, 8)],
      [["servers", 1, "ports", 0, "p"], at(8, 1)],
      [["servers", 1, "ports", 1, "p"], at(10, 1), at(10, 5)],
    ],
  );
});

test("position index: CRLF line ends, tabs and unicode (columns in UTF-16 units, like smol-toml)", () => {
  check('a = "é😀"\r\n\tb = 1\r\n[t]\r\n"ключ" = 2', [
    [["a"], at(1, 1), at(1, 5)],
    [["b"], at(2, 2), at(2, 6)],
    [["t", "ключ"], at(4, 1), at(4, 10)],
  ]);
});

test("position index: nearest falls back to the closest written ancestor, then 1:1", () => {
  const index = buildPositionIndex('x = 1\n[memory]\nscope = "a"\n');
  assert.deepEqual(index.nearest(["memory", "enabled"]), at(2, 1));
  assert.deepEqual(index.nearest(["nothing", "here"]), at(1, 1));
  assert.deepEqual(index.firstHeader()?.key, at(2, 1));
});
