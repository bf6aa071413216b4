/**
 * Where each key and value of a TOML document is written: a map from a key path such as
 * `["tools", "available", 1]` to the 1-based line and column of the key and of its value.
 *
 * Why hand-written: smol-toml (the parser we use) reports positions only for syntax errors and has no
 * position API, and none of the maintained TOML libraries on npm (@iarna/toml, @ltd/j-toml, toml, confbox)
 * exposes positions of values either; the ones that do (taplo, tombi, tree-sitter) are WASM/CLI toolkits far
 * heavier than this scanner. It runs only on documents smol-toml has already accepted, so it can trust the
 * syntax and only has to know enough TOML to not misread things: quoted and dotted keys, the four string
 * forms (multi-line ones may contain `=`, `[` and `#`), arrays and inline tables spanning lines, comments,
 * and `[[array.of.tables]]` (whose element index becomes part of the path).
 *
 * Columns count UTF-16 code units, as smol-toml's syntax errors do, so both kinds of position agree.
 */

export type PathSegment = string | number;

export interface Position {
  line: number;
  column: number;
}

export interface IndexedEntry {
  path: PathSegment[];
  /**
   * `table`: a `[header]` or one `[[header]]` element; `array-table`: the array a `[[header]]` appends to;
   * `implicit`: a table that exists only as a prefix of a dotted key or header; `key`: `key = value`;
   * `element`: an array element.
   */
  kind: "table" | "array-table" | "implicit" | "key" | "element";
  /** The key's first character (`[` for headers, the value's first character for array elements). */
  key: Position;
  /** The value's first character; null for headers and implicit tables. */
  value: Position | null;
}

export class PositionIndex {
  private readonly byPath = new Map<string, IndexedEntry>();
  private readonly ordered: IndexedEntry[] = [];

  /** @internal used by the scanner */
  add(entry: IndexedEntry): void {
    const id = pathId(entry.path);
    const existing = this.byPath.get(id);
    // First writer wins, except that an explicit header beats the implicit table a dotted key made earlier.
    if (existing && !(existing.kind === "implicit" && entry.kind === "table")) return;
    this.byPath.set(id, entry);
    this.ordered.push(entry);
  }

  get(path: readonly PathSegment[]): IndexedEntry | undefined {
    return this.byPath.get(pathId(path));
  }

  /** Position of the key (header for tables); undefined if the path is not written in the text. */
  keyOf(path: readonly PathSegment[]): Position | undefined {
    return this.get(path)?.key;
  }

  /** Position of the value, falling back to the key (tables have no value position). */
  valueOf(path: readonly PathSegment[]): Position | undefined {
    const e = this.get(path);
    return e ? (e.value ?? e.key) : undefined;
  }

  /** Position for a problem about `path`: the nearest written ancestor, else line 1 column 1. */
  nearest(path: readonly PathSegment[], prefer: "key" | "value" = "value"): Position {
    for (let n = path.length; n > 0; n--) {
      const e = this.get(path.slice(0, n));
      if (e) return n === path.length && prefer === "value" ? (e.value ?? e.key) : e.key;
    }
    return { line: 1, column: 1 };
  }

  /** The first `[table]` or `[[table]]` header in the text, if any. */
  firstHeader(): IndexedEntry | undefined {
    let first: IndexedEntry | undefined;
    for (const e of this.ordered) {
      if (e.kind !== "table") continue;
      if (!first || before(e.key, first.key)) first = e;
    }
    return first;
  }

  /** Every entry in the order it was found. */
  entries(): readonly IndexedEntry[] {
    return this.ordered;
  }
}

function before(a: Position, b: Position): boolean {
  return a.line < b.line || (a.line === b.line && a.column < b.column);
}

/**
 * A path's key in the index: each segment as `#<n>.` (an array index) or `<length>:<name>`, a prefix code,
 * so two paths share a key only if they are equal. About 3x faster than JSON.stringify, which was a third of
 * the index's time (the index is built for every config file validated).
 */
function pathId(path: readonly PathSegment[]): string {
  let id = "";
  for (const segment of path)
    id += typeof segment === "number" ? `#${segment}.` : `${segment.length}:${segment}`;
  return id;
}

const BARE_KEY = /[A-Za-z0-9_-]/;

/** Builds the index of a document that smol-toml parsed without error (behaviour on invalid TOML is lenient). */
export function buildPositionIndex(text: string): PositionIndex {
  return new Scanner(text).run();
}

class Scanner {
  private i = 0;
  private line = 1;
  private lineStart = 0;
  private readonly index = new PositionIndex();
  /** Resolved path of each `[[array]]` (JSON) -> number of elements seen so far. */
  private readonly arrayCounts = new Map<string, number>();

  constructor(private readonly s: string) {}

  run(): PositionIndex {
    let table: PathSegment[] = [];
    for (;;) {
      this.skipBlank(true);
      if (this.i >= this.s.length) break;
      if (this.s[this.i] === "[") {
        table = this.header();
      } else {
        this.keyValue(table);
      }
      this.skipRestOfLine();
    }
    return this.index;
  }

  private pos(): Position {
    return { line: this.line, column: this.i - this.lineStart + 1 };
  }

  private advance(n = 1): void {
    for (let k = 0; k < n && this.i < this.s.length; k++) {
      if (this.s[this.i] === "\n") {
        this.line++;
        this.lineStart = this.i + 1;
      }
      this.i++;
    }
  }

  /** Skips spaces and tabs; with `newlines`, also line breaks and comments. */
  private skipBlank(newlines: boolean): void {
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c === " " || c === "\t") this.advance();
      else if (newlines && (c === "\n" || c === "\r")) this.advance();
      else if (newlines && c === "#") this.skipComment();
      else break;
    }
  }

  private skipComment(): void {
    while (this.i < this.s.length && this.s[this.i] !== "\n") this.advance();
  }

  private skipRestOfLine(): void {
    this.skipBlank(false);
    if (this.s[this.i] === "#") this.skipComment();
    // Anything else left on the line would be a syntax error; skip it defensively.
    while (this.i < this.s.length && this.s[this.i] !== "\n") this.advance();
  }

  private header(): PathSegment[] {
    const at = this.pos();
    const isArray = this.s[this.i + 1] === "[";
    this.advance(isArray ? 2 : 1);
    const keys = this.dottedKey().map((k) => k.text);
    this.skipBlank(false);
    this.advance(isArray ? 2 : 1); // `]` or `]]`
    const parent = this.resolve(keys.slice(0, -1), at);
    const last = keys[keys.length - 1] ?? "";
    const full: PathSegment[] = [...parent, last];
    if (!isArray) {
      this.index.add({ path: full, kind: "table", key: at, value: null });
      return full;
    }
    const id = pathId(full);
    const n = this.arrayCounts.get(id) ?? 0;
    this.arrayCounts.set(id, n + 1);
    this.index.add({ path: full, kind: "array-table", key: at, value: null });
    const element = [...full, n];
    this.index.add({ path: element, kind: "table", key: at, value: null });
    return element;
  }

  /** Turns header keys into a path, inserting the current element index after each array-of-tables key. */
  private resolve(keys: string[], at: Position): PathSegment[] {
    const out: PathSegment[] = [];
    for (const k of keys) {
      out.push(k);
      const n = this.arrayCounts.get(pathId(out));
      if (n !== undefined) out.push(n - 1);
      else this.index.add({ path: [...out], kind: "implicit", key: at, value: null });
    }
    return out;
  }

  private keyValue(table: PathSegment[]): void {
    const keys = this.dottedKey();
    const first = keys[0];
    if (!first) {
      this.skipRestOfLine();
      return;
    }
    const path: PathSegment[] = [...table];
    for (let k = 0; k < keys.length - 1; k++) {
      path.push(keys[k]!.text);
      this.index.add({ path: [...path], kind: "implicit", key: keys[k]!.at, value: null });
    }
    path.push(keys[keys.length - 1]!.text);
    this.skipBlank(false);
    if (this.s[this.i] === "=") this.advance();
    this.skipBlank(false);
    this.index.add({ path, kind: "key", key: first.at, value: this.pos() });
    this.value(path);
  }

  private dottedKey(): { text: string; at: Position }[] {
    const keys: { text: string; at: Position }[] = [];
    for (;;) {
      this.skipBlank(false);
      const at = this.pos();
      const c = this.s[this.i];
      let text: string;
      if (c === '"') text = this.basicString();
      else if (c === "'") text = this.literalString();
      else {
        const start = this.i;
        while (this.i < this.s.length && BARE_KEY.test(this.s[this.i]!)) this.advance();
        text = this.s.slice(start, this.i);
        if (text === "") return keys;
      }
      keys.push({ text, at });
      this.skipBlank(false);
      if (this.s[this.i] !== ".") return keys;
      this.advance();
    }
  }

  /** Skips one value starting at the cursor, indexing array elements and inline-table keys under `path`. */
  private value(path: PathSegment[]): void {
    const c = this.s[this.i];
    if (c === '"' || c === "'") {
      if (this.s.startsWith(c.repeat(3), this.i)) this.multiLineString(c);
      else if (c === '"') this.basicString();
      else this.literalString();
    } else if (c === "[") {
      this.array(path);
    } else if (c === "{") {
      this.inlineTable(path);
    } else {
      // Numbers, booleans, dates and times (which may contain one space) end at a delimiter.
      while (this.i < this.s.length && !",]}#\r\n".includes(this.s[this.i]!)) this.advance();
    }
  }

  private array(path: PathSegment[]): void {
    this.advance(); // [
    for (let n = 0; ; n++) {
      this.skipBlank(true);
      if (this.i >= this.s.length || this.s[this.i] === "]") break;
      const element = [...path, n];
      const at = this.pos();
      this.index.add({ path: element, kind: "element", key: at, value: at });
      this.value(element);
      this.skipBlank(true);
      if (this.s[this.i] === ",") this.advance();
      else break;
    }
    this.skipBlank(true);
    if (this.s[this.i] === "]") this.advance();
  }

  private inlineTable(path: PathSegment[]): void {
    this.advance(); // {
    for (;;) {
      this.skipBlank(true); // TOML 1.1 allows newlines in inline tables; harmless for 1.0
      if (this.i >= this.s.length || this.s[this.i] === "}") break;
      const before = this.i;
      this.keyValue(path);
      this.skipBlank(true);
      if (this.s[this.i] === ",") this.advance();
      else if (this.i === before) break;
    }
    if (this.s[this.i] === "}") this.advance();
  }

  private multiLineString(q: string): void {
    this.advance(3);
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (q === '"' && c === "\\") {
        this.advance(2);
      } else if (c === q && this.s.startsWith(q.repeat(3), this.i)) {
        this.advance(3);
        // Up to two more quotes right before the closing delimiter belong to the content.
        for (let k = 0; k < 2 && this.s[this.i] === q; k++) this.advance();
        return;
      } else {
        this.advance();
      }
    }
  }

  /** Reads a `"basic"` string and returns its decoded text (needed for quoted keys). */
  private basicString(): string {
    this.advance(); // "
    let out = "";
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (c === '"') {
        this.advance();
        break;
      }
      if (c === "\\") {
        const e = this.s[this.i + 1] ?? "";
        const simple = ESCAPES[e];
        if (simple !== undefined) {
          out += simple;
          this.advance(2);
        } else if (e === "u" || e === "U" || e === "x") {
          const len = e === "u" ? 4 : e === "U" ? 8 : 2;
          const hex = this.s.slice(this.i + 2, this.i + 2 + len);
          const cp = Number.parseInt(hex, 16);
          out += Number.isNaN(cp) || cp > 0x10ffff ? "" : String.fromCodePoint(cp);
          this.advance(2 + len);
        } else {
          this.advance(2);
        }
        continue;
      }
      out += c;
      this.advance();
    }
    return out;
  }

  private literalString(): string {
    this.advance(); // '
    const start = this.i;
    while (this.i < this.s.length && this.s[this.i] !== "'") this.advance();
    const text = this.s.slice(start, this.i);
    this.advance();
    return text;
  }
}

const ESCAPES: Record<string, string> = {
  b: "\b",
  t: "\t",
  n: "\n",
  f: "\f",
  r: "\r",
  e: "\x1b",
  '"': '"',
  "\\": "\\",
};
