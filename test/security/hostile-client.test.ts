/**
 * Hostile clients: requests crafted directly (not through our client), one for each rule: every
 * path rule and every limit, against the real `caxton serve`, with packs and tree objects built byte by byte.
 * Each refusal must be a 4xx JSON error naming the problem, and leave `DATA/current` byte-identical, the
 * history as it was, `DATA/tmp` empty and (for the path rules) nothing outside the data dir.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { zstdCompressSync } from "../../src/compression/zstd-compress.js";
import { sha256Hex } from "../../src/merkle/sha256.js";
import { encodeNegotiate } from "../../src/protocol/negotiate-body.js";
import { encodeObjectHead, encodePackStart } from "../../src/protocol/pack-encoder.js";
import { NEGOTIATE_CONTENT_TYPE, PACK_CONTENT_TYPE } from "../../src/protocol/pack-format.js";
import { type ServeProcess } from "../support/caxton-process.js";
import { serverAndWorkspace } from "../support/server-and-workspace.js";
import { snapshot } from "../support/tree-snapshot.js";
import {
  assertUnchanged,
  blob,
  captureState,
  expectError,
  packBytes,
  parseErrorBody,
  rawHttp,
  request,
  requestHead,
  tmpEntries,
  treeEntry,
  waitFor,
  workspace,
  type HttpAnswer,
  type ObjectEntry,
  type RawEntry,
  type ServerState,
  type Workspace,
  fanOutPack,
} from "./helpers.js";
import { zeroBomb } from "../support/zero-bomb.js";

const MiB = 1024 * 1024;
const BASELINE = { "config/a.toml": 'name = "a"\n', "readme.md": "live\n" };

async function postPack(
  server: ServeProcess,
  body: Buffer,
  query = "",
  headers: Record<string, string> = {},
) {
  return request(`${server.url}/api/v1/deployments${query}`, {
    method: "POST",
    headers: { "Content-Type": PACK_CONTENT_TYPE, ...headers },
    body,
  });
}

/**
 * A server for the enclosing describe block, on ROOT/data with the baseline deployed (`state`: the server's
 * state after it); ROOT/sentinel is an empty folder next to the data dir.
 */
function serverWithBaseline(
  args: string[],
  quiet = true,
): { readonly root: string; readonly server: ServeProcess; readonly state: ServerState } {
  const t = serverAndWorkspace({ prefix: "caxton-hostile-", init: false, serve: { quiet, args } });
  let state: ServerState | undefined;
  before(async () => {
    mkdirSync(join(t.root, "sentinel"));
    const ws = workspace(BASELINE);
    const r = await postPack(t.server, packBytes({ root: ws.root }, ws.objects));
    assert.equal(r.status, 201, r.text);
    state = await captureState(t.server);
  });
  return {
    get root() {
      return t.root;
    },
    get server() {
      return t.server;
    },
    get state() {
      assert.ok(state, "the baseline is deployed in a before hook");
      return state;
    },
  };
}

/** An upload that declares the whole body, sends its first `sent` bytes and hangs up 200 ms later. */
async function abandonUpload(url: string, body: Buffer, sent: number): Promise<void> {
  await rawHttp(
    url,
    (socket) => {
      const head = requestHead("POST", "/api/v1/deployments", {
        "Content-Type": PACK_CONTENT_TYPE,
        "Content-Length": body.length,
      });
      socket.write(Buffer.concat([head, body.subarray(0, sent)]));
      setTimeout(() => socket.destroy(), 200);
    },
    { timeoutMs: 5_000 },
  ).catch(() => undefined);
}

describe("path rules: the server refuses unsafe tree entries before staging anything", () => {
  const h = serverWithBaseline([]);

  const content = blob("pwned\n");

  /** Deploys a root tree with these entries; `extra` are the other objects it needs. */
  async function deployEntries(
    entries: RawEntry[],
    extra: ObjectEntry[] = [],
    query = "",
  ): Promise<HttpAnswer> {
    const root = treeEntry(entries);
    const objects = [content, ...extra, root];
    return postPack(h.server, packBytes({ root: root[0] }, objects), query);
  }

  /** Nested folders named by `segments`, the last one a file; returns the root's entries and the trees. */
  function nested(segments: string[]): { entries: RawEntry[]; trees: ObjectEntry[] } {
    const trees: ObjectEntry[] = [];
    let child: RawEntry = { kind: "blob", name: segments[segments.length - 1] as string, hash: content[0] };
    for (let i = segments.length - 2; i >= 0; i--) {
      const tree = treeEntry([child]);
      trees.push(tree);
      child = { kind: "tree", name: segments[i] as string, hash: tree[0] };
    }
    return { entries: [child], trees };
  }

  async function refused(
    answer: HttpAnswer,
    code: "E_BAD_REQUEST" | "E_UNSAFE_PATH" | "E_TOO_LARGE",
    message: RegExp,
  ): Promise<void> {
    const error = expectError(answer, code === "E_TOO_LARGE" ? 413 : 400, code);
    assert.match(error.message, message);
    await assertUnchanged(h.server, h.state);
    assert.deepEqual(readdirSync(h.root).sort(), ["data", "sentinel"], "something was written next to DATA");
    assert.deepEqual(
      readdirSync(join(h.root, "sentinel")),
      [],
      "something was written into the sentinel dir",
    );
  }

  test("an absolute path (a name starting with '/') is refused", async () => {
    const outside = `/tmp/caxton-evil-${process.pid}`;
    for (const name of [outside, join(h.root, "sentinel", "evil")]) {
      const r = await deployEntries([{ kind: "blob", name, hash: content[0] }]);
      await refused(r, "E_BAD_REQUEST", /contains '\/'/);
    }
    assert.ok(!existsSync(outside));
  });

  test("'..' is refused, as a whole name and inside a name", async () => {
    // DATA/tmp/<txid>/tree/../../../../sentinel/evil and DATA/deployments/<id>/../../sentinel/evil are both
    // the sentinel dir next to DATA
    for (const ups of [2, 4]) {
      const escape = nested([...Array.from({ length: ups }, () => ".."), "sentinel", "evil"]);
      const r = await deployEntries(escape.entries, escape.trees);
      await refused(r, "E_BAD_REQUEST", /'\.' and '\.\.' are not names/);
    }
    const r2 = await deployEntries([{ kind: "blob", name: "../sentinel/evil", hash: content[0] }]);
    await refused(r2, "E_BAD_REQUEST", /contains '\/'/);
  });

  test("empty and '.' segments are refused", async () => {
    const r = await deployEntries([{ kind: "blob", name: "", hash: content[0] }]);
    await refused(r, "E_BAD_REQUEST", /empty name/);
    const sub = treeEntry([{ kind: "blob", name: "x", hash: content[0] }]);
    const r2 = await deployEntries([{ kind: "tree", name: ".", hash: sub[0] }], [sub]);
    await refused(r2, "E_BAD_REQUEST", /'\.' and '\.\.' are not names/);
  });

  test("a NUL byte cannot be part of a name: the tree object does not parse", async () => {
    const r = await deployEntries([
      { kind: "blob", name: Buffer.from("a\0b.txt", "latin1"), hash: content[0] },
    ]);
    await refused(r, "E_BAD_REQUEST", /malformed tree object/);
  });

  test("control characters (C0 and DEL) are refused", async () => {
    for (const name of ["evil\nname", "tab\there", "\u001b[31mred", "del\u007f", "cr\r"]) {
      const r = await deployEntries([{ kind: "blob", name, hash: content[0] }]);
      await refused(r, "E_BAD_REQUEST", /control character/);
    }
  });

  test("backslashes are refused", async () => {
    for (const name of ["..\\sentinel\\evil", "a\\b", "\\"]) {
      const r = await deployEntries([{ kind: "blob", name, hash: content[0] }]);
      await refused(r, "E_BAD_REQUEST", /backslash/);
    }
  });

  test("invalid UTF-8 in a tree entry name is refused (bare continuation, overlong '/', surrogate, 0xFF)", async () => {
    const names = [
      Buffer.from([0x66, 0x80, 0x6f]),
      Buffer.from([0xc0, 0xaf]), // overlong encoding of '/'
      Buffer.from([0x2e, 0xc0, 0xae]), // '.' + overlong '.'
      Buffer.from([0xed, 0xa0, 0x80]), // a UTF-16 surrogate encoded as UTF-8 (CESU)
      Buffer.from([0xff, 0xfe]),
      Buffer.from([0xe2, 0x82]), // truncated sequence
    ];
    for (const name of names) {
      const r = await deployEntries([{ kind: "blob", name, hash: content[0] }]);
      await refused(r, "E_BAD_REQUEST", /not valid UTF-8/);
    }
  });

  test("names that collide after case-folding are refused (files and folders)", async () => {
    const r = await deployEntries([
      { kind: "blob", name: "README", hash: content[0] },
      { kind: "blob", name: "readme", hash: content[0] },
    ]);
    await refused(r, "E_UNSAFE_PATH", /"README" and "readme" differ only in case/);
    const sub = treeEntry([{ kind: "blob", name: "x.md", hash: content[0] }]);
    const r2 = await deployEntries(
      [
        { kind: "tree", name: "Agents", hash: sub[0] },
        { kind: "tree", name: "agents", hash: sub[0] },
      ],
      [sub],
    );
    await refused(r2, "E_UNSAFE_PATH", /differ only in case/);
  });

  test("names that collide after NFC normalisation are refused", async () => {
    // "e" + combining acute (0x65 …) sorts before precomposed "é" (0xC3 0xA9)
    const r = await deployEntries([
      { kind: "blob", name: "cafe\u0301.md", hash: content[0] },
      { kind: "blob", name: "caf\u00e9.md", hash: content[0] },
    ]);
    await refused(r, "E_UNSAFE_PATH", /Unicode normalisation/);
  });

  test("a path longer than 1024 bytes is refused; exactly 1024 passes the rules (dry run)", async () => {
    const dirs = ["a", "b", "c", "d"].map((c) => c.repeat(250)); // 4 × 250 + 4 slashes = 1004 bytes
    const fits = nested([...dirs, "f".repeat(20)]); // 1024 bytes
    assert.equal(Buffer.byteLength([...dirs, "f".repeat(20)].join("/")), 1024);
    const ok = await deployEntries(fits.entries, fits.trees, "?dry_run=1");
    assert.equal(ok.status, 200, ok.text);
    const tooLong = nested([...dirs, "f".repeat(21)]);
    const r = await deployEntries(tooLong.entries, tooLong.trees);
    await refused(r, "E_UNSAFE_PATH", /longer than 1024 bytes/);
    // bytes, not characters: 4 × 85 three-byte characters + … is over the limit though short in UTF-16
    const euros = ["€".repeat(85), "€".repeat(85), "€".repeat(85), "€".repeat(85), "x".repeat(10)];
    assert.ok(euros.join("/").length < 1024 && Buffer.byteLength(euros.join("/")) > 1024);
    const multi = nested(euros);
    await refused(await deployEntries(multi.entries, multi.trees), "E_UNSAFE_PATH", /longer than 1024 bytes/);
  });

  test("a name longer than 255 bytes is refused; exactly 255 passes the rules (dry run)", async () => {
    const ok = await deployEntries(
      [{ kind: "blob", name: "€".repeat(85), hash: content[0] }],
      [],
      "?dry_run=1",
    );
    assert.equal(ok.status, 200, ok.text);
    for (const name of ["x".repeat(256), "€".repeat(86)]) {
      const r = await deployEntries([{ kind: "blob", name, hash: content[0] }]);
      await refused(r, "E_UNSAFE_PATH", /a name longer than 255 bytes/);
    }
  });

  test("a tree deeper than 128 levels is refused with 413 naming the limit", async () => {
    const deep = nested([...Array.from({ length: 140 }, () => "d"), "f"]);
    const r = await deployEntries(deep.entries, deep.trees);
    await refused(r, "E_TOO_LARGE", /deeper than the limit of 128 levels/);
  });

  test("tree objects with unsorted or duplicate entries are refused", async () => {
    const unsorted = await deployEntries([
      { kind: "blob", name: "b.md", hash: content[0] },
      { kind: "blob", name: "a.md", hash: content[0] },
    ]);
    await refused(unsorted, "E_BAD_REQUEST", /not sorted or not unique/);
    const duplicate = await deployEntries([
      { kind: "blob", name: "a.md", hash: content[0] },
      { kind: "blob", name: "a.md", hash: content[0] },
    ]);
    await refused(duplicate, "E_BAD_REQUEST", /not sorted or not unique/);
    // a duplicate where one is a file and one a folder: the second would overwrite the first on disk
    const sub = treeEntry([{ kind: "blob", name: "x", hash: content[0] }]);
    const mixed = await deployEntries(
      [
        { kind: "blob", name: "a", hash: content[0] },
        { kind: "tree", name: "a", hash: sub[0] },
      ],
      [sub],
    );
    await refused(mixed, "E_BAD_REQUEST", /not sorted or not unique/);
  });

  test("an unknown entry kind is refused", async () => {
    for (const kind of ["link", "exec", "BLOB", "blob\u0001", ""]) {
      const r = await deployEntries([{ kind, name: "x.md", hash: content[0] }]);
      await refused(r, "E_BAD_REQUEST", /unknown entry kind/);
    }
  });

  test("an unsafe name deep inside an otherwise valid tree is refused too", async () => {
    const ws = workspace({ "config/a.toml": 'name = "a"\n', "docs/guide/intro.md": "hi\n" });
    const bad = nested(["docs", "guide", "..", "x"]);
    const r = await deployEntries(bad.entries, [...ws.objects, ...bad.trees]);
    await refused(r, "E_BAD_REQUEST", /'\.' and '\.\.' are not names/);
  });

  test("a root that is a blob, not a tree, is refused", async () => {
    // the root's bytes are "pwned\n": not a tree object
    const r = await postPack(h.server, packBytes({ root: content[0] }, [content]));
    const error = parseErrorBody(r.text);
    assert.ok(r.status >= 400 && r.status < 500, r.text);
    assert.equal(error.error.code, "E_BAD_REQUEST");
    await assertUnchanged(h.server, h.state);
  });
});

describe("limits: each refusal is 413 naming the limit, before the bytes are read", () => {
  const h = serverWithBaseline(["--max-file-bytes", "1024", "--max-files", "3", "--max-body-bytes", "65536"]);

  test("--max-file-bytes: a declared object size above it is 413 before its bytes are sent", async () => {
    // chunked, so no Content-Length the body limit could catch first; the frame declares 1 GiB
    const prefix = Buffer.concat([
      encodePackStart({ root: "ab".repeat(32) }),
      encodeObjectHead("cd".repeat(32), 1024 ** 3),
      Buffer.alloc(100, 0x61),
    ]);
    // keep-alive: closing the connection must be the server's decision
    const head = requestHead(
      "POST",
      "/api/v1/deployments",
      { "Content-Type": PACK_CONTENT_TYPE, "Transfer-Encoding": "chunked" },
      { keepAlive: true },
    );
    let sent = 0;
    const r = await rawHttp(
      h.server.url,
      (socket) => {
        const chunk = Buffer.concat([
          Buffer.from(`${prefix.length.toString(16)}\r\n`),
          prefix,
          Buffer.from("\r\n"),
        ]);
        sent = head.length + chunk.length;
        socket.write(Buffer.concat([head, chunk])); // …and never the rest of the gigabyte
      },
      { timeoutMs: 5_000 },
    );
    assert.ok(sent < 1024, "only a few hundred bytes went out");
    assert.equal(r.status, 413, r.body.toString());
    const { error } = parseErrorBody(r.body.toString());
    assert.equal(error.code, "E_TOO_LARGE");
    assert.match(error.message, /1073741824 bytes exceeds the limit of 1024 bytes/);
    assert.equal(error.detail?.limit, "max_object_bytes");
    assert.ok(r.elapsedMs < 2_000, `answered after ${r.elapsedMs.toFixed(0)} ms, without the body`);
    await assertUnchanged(h.server, h.state);
  });

  test("--max-file-bytes: an object of 1025 bytes sent whole is 413 too", async () => {
    const ws = workspace({ ...BASELINE, "big.bin": Buffer.alloc(1025, 0x62) });
    const r = await postPack(h.server, packBytes({ root: ws.root }, ws.objects));
    const error = expectError(r, 413, "E_TOO_LARGE");
    assert.match(error.message, /1025 bytes exceeds the limit of 1024 bytes/);
    assert.equal(error.detail?.limit, "max_object_bytes");
    await assertUnchanged(h.server, h.state);
  });

  test("--max-files: a tree with 4 files is 413 naming the limit", async () => {
    const ws = workspace({ ...BASELINE, "b.md": "b\n", "c.md": "c\n" });
    const r = await postPack(h.server, packBytes({ root: ws.root }, ws.objects));
    const error = expectError(r, 413, "E_TOO_LARGE");
    assert.match(error.message, /more files than the limit of 3/);
    assert.equal(error.detail?.limit, "max_files");
    await assertUnchanged(h.server, h.state);
  });

  test("--max-files: a tree that fans out exponentially (2^60 paths from 60 small trees) is cut at the limit", async () => {
    const started = performance.now();
    const r = await postPack(h.server, fanOutPack(60));
    const error = expectError(r, 413, "E_TOO_LARGE");
    assert.equal(error.detail?.limit, "max_files");
    assert.ok(performance.now() - started < 5_000);
    await assertUnchanged(h.server, h.state);
  });

  test("--max-body-bytes: a declared Content-Length above it is 413 before the body is read", async () => {
    const head = requestHead(
      "POST",
      "/api/v1/deployments",
      { "Content-Type": PACK_CONTENT_TYPE, "Content-Length": 1024 ** 3 },
      { keepAlive: true },
    );
    const r = await rawHttp(h.server.url, Buffer.concat([head, encodePackStart({ root: "ab".repeat(32) })]), {
      timeoutMs: 5_000,
    });
    assert.equal(r.status, 413);
    const { error } = parseErrorBody(r.body.toString());
    assert.equal(error.code, "E_TOO_LARGE");
    assert.match(error.message, /exceeds the server's limit of 65536 bytes \(max_body_bytes\)/);
    assert.equal(error.detail?.limit, "max_body_bytes");
    assert.ok(r.elapsedMs < 2_000, `answered after ${r.elapsedMs.toFixed(0)} ms, without the body`);
    await assertUnchanged(h.server, h.state);
  });

  test("--max-body-bytes: a body that is longer than it without declaring so is cut one byte past it", async () => {
    // 70 objects of ≤ 1024 bytes each: every one within --max-file-bytes, the sum over --max-body-bytes
    const objects: ObjectEntry[] = Array.from({ length: 70 }, (_, i) => blob(Buffer.alloc(1000, i)));
    const r = await rawHttp(
      h.server.url,
      (socket) => {
        const body = packBytes({ root: "ab".repeat(32) }, objects);
        const chunk = Buffer.concat([
          Buffer.from(`${body.length.toString(16)}\r\n`),
          body,
          Buffer.from("\r\n0\r\n\r\n"),
        ]);
        socket.write(
          Buffer.concat([
            requestHead("POST", "/api/v1/deployments", {
              "Content-Type": PACK_CONTENT_TYPE,
              "Transfer-Encoding": "chunked",
            }),
            chunk,
          ]),
        );
      },
      { timeoutMs: 5_000 },
    );
    assert.equal(r.status, 413, r.body.toString());
    const { error } = parseErrorBody(r.body.toString());
    assert.equal(error.detail?.limit, "max_body_bytes");
    await assertUnchanged(h.server, h.state);
  });
});

/** Peak resident memory of a process, from /proc (Linux), in bytes; null elsewhere. */
function peakRss(pid: number | undefined): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m?.[1] ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

describe("decompression bombs and oversized negotiation bodies", () => {
  const h = serverWithBaseline(["--max-body-bytes", String(MiB)]);

  test("--max-body-bytes with a zstd bomb: 512 MiB of zeros in a few KB is 413 after 1 MiB decoded", async (t) => {
    // a frame that declares 512 MiB (under --max-file-bytes' default), its hash never checked: the body
    // limit must stop the decoder first
    const prefix = Buffer.concat([
      encodePackStart({ root: "ab".repeat(32) }),
      encodeObjectHead("cd".repeat(32), 512 * MiB),
    ]);
    const bomb = await zeroBomb(prefix, 512);
    assert.ok(bomb.length < 256 * 1024, `the bomb is ${bomb.length} bytes`);
    const started = performance.now();
    const r = await postPack(h.server, bomb, "", { "Content-Encoding": "zstd" });
    const elapsed = performance.now() - started;
    const error = expectError(r, 413, "E_TOO_LARGE");
    assert.match(
      error.message,
      /decompresses to more than the server's limit of 1048576 bytes \(max_body_bytes\)/,
    );
    assert.equal(error.detail?.limit, "max_body_bytes");
    assert.ok(elapsed < 5_000, `answered after ${elapsed.toFixed(0)} ms`);
    const peak = peakRss(h.server.child.pid);
    if (peak !== null) {
      t.diagnostic(`server peak RSS ${(peak / MiB).toFixed(0)} MiB`);
      assert.ok(peak < 256 * MiB, `server peak RSS ${(peak / MiB).toFixed(0)} MiB`);
    }
    await assertUnchanged(h.server, h.state);
  });

  test("a zstd bomb as a negotiation body is 413", async () => {
    const prefix = encodeNegotiate({ root: "ab".repeat(32) }, []);
    const bomb = await zeroBomb(prefix, 256);
    const r = await request(`${h.server.url}/api/v1/negotiate`, {
      method: "POST",
      headers: { "Content-Type": NEGOTIATE_CONTENT_TYPE, "Content-Encoding": "zstd" },
      body: bomb,
    });
    const error = expectError(r, 413, "E_TOO_LARGE");
    assert.match(error.message, /decompresses to more than the server's limit of \d+ bytes/);
    await assertUnchanged(h.server, h.state);
  });

  test("a negotiation body declared too large is 413 before it is read", async () => {
    const head = requestHead(
      "POST",
      "/api/v1/negotiate",
      { "Content-Type": NEGOTIATE_CONTENT_TYPE, "Content-Length": 2 * 1024 ** 3 },
      { keepAlive: true },
    );
    const r = await rawHttp(
      h.server.url,
      Buffer.concat([head, encodeNegotiate({ root: "ab".repeat(32) }, [])]),
      {
        timeoutMs: 5_000,
      },
    );
    assert.equal(r.status, 413);
    const { error } = parseErrorBody(r.body.toString());
    assert.equal(error.code, "E_TOO_LARGE");
    assert.match(error.message, /exceeds the server's limit of \d+ bytes/);
    assert.ok(r.elapsedMs < 2_000, `answered after ${r.elapsedMs.toFixed(0)} ms, without the body`);
    await assertUnchanged(h.server, h.state);
  });

  test("a negotiation body streamed past the limit without a Content-Length is 413", async () => {
    // the limit is 16 + 1 MiB + 2,000,000 × 32 bytes; send 1 MiB of hashes per chunk until refused
    const r = await rawHttp(
      h.server.url,
      (socket) => {
        socket.write(
          requestHead("POST", "/api/v1/negotiate", {
            "Content-Type": NEGOTIATE_CONTENT_TYPE,
            "Transfer-Encoding": "chunked",
          }),
        );
        const chunk = Buffer.concat([
          Buffer.from(`${MiB.toString(16)}\r\n`),
          Buffer.alloc(MiB, 7),
          Buffer.from("\r\n"),
        ]);
        let n = 0;
        const pump = (): void => {
          while (n < 80 && !socket.destroyed) {
            n++;
            if (!socket.write(chunk)) {
              socket.once("drain", pump);
              return;
            }
          }
        };
        pump();
      },
      { timeoutMs: 20_000 },
    );
    assert.equal(r.status, 413, r.body.toString());
    assert.equal(parseErrorBody(r.body.toString()).error.code, "E_TOO_LARGE");
    await assertUnchanged(h.server, h.state);
  });

  test("a rollback body over its 64 KiB limit is 413", async () => {
    const r = await request(`${h.server.url}/api/v1/rollback`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ target: null, deployed_by: "x".repeat(70 * 1024) }),
    });
    expectError(r, 413, "E_TOO_LARGE");
    await assertUnchanged(h.server, h.state);
  });
});

describe("slow and stalled clients (--idle-timeout 1)", () => {
  const h = serverWithBaseline(["--idle-timeout", "1"]);

  test("a client stalled mid-pack is disconnected, its temp files removed, and a concurrent deploy is not blocked", async () => {
    const before = await captureState(h.server);
    const target: Workspace = workspace({ "config/a.toml": 'name = "a"\n', "readme.md": "stalled\n" });
    const body = packBytes({ root: target.root }, target.objects);
    const partial = body.subarray(0, body.length - 20);
    let wroteAt = 0;
    const stalled = rawHttp(
      h.server.url,
      (socket) => {
        socket.write(
          Buffer.concat([
            requestHead("POST", "/api/v1/deployments", {
              "Content-Type": PACK_CONTENT_TYPE,
              "Content-Length": body.length,
            }),
            partial,
          ]),
        );
        wroteAt = performance.now();
        // …and nothing more
      },
      { timeoutMs: 10_000 },
    ).then((answer) => ({ answer, at: performance.now() }));
    // the upload is in progress: its transaction dir exists
    assert.ok(
      await waitFor(() => tmpEntries(h.server.dataDir).length === 1, 2_000),
      "no transaction started",
    );

    // meanwhile a normal deploy goes through: no lock is held while bytes arrive
    const next = workspace({ "config/a.toml": 'name = "a"\n', "readme.md": "concurrent\n" });
    const ok = await postPack(h.server, packBytes({ root: next.root }, next.objects));
    const deployedAt = performance.now();
    assert.equal(ok.status, 201, ok.text);

    const { answer: r, at: closedAt } = await stalled;
    assert.equal(r.status, 0, `the stalled client got an answer: ${r.status} ${r.body.toString()}`);
    assert.ok(r.closed);
    assert.ok(
      deployedAt < closedAt,
      `the concurrent deploy finished ${(deployedAt - closedAt).toFixed(0)} ms after the stalled client was cut off`,
    );
    const closedAfter = closedAt - wroteAt;
    assert.ok(closedAfter >= 900 && closedAfter < 4_000, `disconnected after ${closedAfter.toFixed(0)} ms`);
    assert.ok(
      await waitFor(() => tmpEntries(h.server.dataDir).length === 0, 3_000),
      "temp files left behind",
    );

    // the live tree is the concurrent deploy's, complete; the stalled one left no trace in history
    const after = await captureState(h.server);
    assert.deepEqual(after.current, new Map([...next.files].map(([p, b]) => [p, b.toString("base64")])));
    const history = JSON.parse(after.history) as { deployments: { checksum: string }[] };
    const previous = JSON.parse(before.history) as { deployments: { checksum: string }[] };
    assert.equal(history.deployments.length, previous.deployments.length + 1);
    assert.equal(history.deployments[0]?.checksum, next.root);
    assert.ok(!history.deployments.some((d) => d.checksum === target.root));
    assert.deepEqual(snapshot(join(h.server.dataDir, "current")), after.current);
  });

  test("a client stalled in the middle of its headers is disconnected", async () => {
    const started = performance.now();
    const r = await rawHttp(
      h.server.url,
      (socket) => socket.write("POST /api/v1/deployments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty"),
      { timeoutMs: 10_000 },
    );
    const elapsed = performance.now() - started;
    assert.ok(r.closed);
    assert.ok(r.status === 0 || (r.status >= 400 && r.status < 500), `status ${r.status}`);
    assert.ok(elapsed >= 900 && elapsed < 4_000, `disconnected after ${elapsed.toFixed(0)} ms`);
  });

  test("a client stalled in its second request on a keep-alive connection is disconnected too", async () => {
    const started = performance.now();
    let stalledAt = 0;
    const r = await new Promise<{ closed: boolean; answers: number }>((resolve) => {
      const socket = connect(Number(new URL(h.server.url).port), "127.0.0.1");
      let text = "";
      let answers = 0;
      const timer = setTimeout(() => {
        socket.destroy();
        resolve({ closed: false, answers });
      }, 6_000);
      socket.on("data", (chunk: Buffer) => {
        text += chunk.toString("latin1");
        if (answers === 0 && text.includes('"status":"ok"')) {
          answers = 1;
          // the second request on the same connection: headers and part of a pack, then silence
          socket.write(
            requestHead(
              "POST",
              "/api/v1/deployments",
              { "Content-Type": PACK_CONTENT_TYPE, "Content-Length": 1000 },
              { keepAlive: true },
            ),
          );
          socket.write(encodePackStart({ root: "ab".repeat(32) }));
          stalledAt = performance.now();
        }
      });
      socket.on("error", () => {});
      socket.on("close", () => {
        clearTimeout(timer);
        resolve({ closed: true, answers });
      });
      socket.write(requestHead("GET", "/health", {}, { keepAlive: true }));
    });
    assert.equal(r.answers, 1);
    assert.ok(r.closed, `still connected ${(performance.now() - started).toFixed(0)} ms later`);
    assert.ok(performance.now() - stalledAt < 4_000);
    assert.ok(
      await waitFor(() => tmpEntries(h.server.dataDir).length === 0, 3_000),
      "temp files left behind",
    );
  });
});

describe("odd bodies that must not reach staging", () => {
  const h = serverWithBaseline([]);

  test("the same object sent three times in one pack is fine (a dry run passes), never a 500", async () => {
    // regression: temp files were named `${hash}.${files.size}`, so the third copy hit EEXIST (500)
    const ws = workspace({ "config/a.toml": 'name = "a"\n', "readme.md": "three times\n" });
    const [first] = ws.objects;
    assert.ok(first);
    const objects = [first, first, first, ...ws.objects.slice(1)];
    const r = await postPack(h.server, packBytes({ root: ws.root }, objects), "?dry_run=1");
    assert.equal(r.status, 200, r.text);
    await assertUnchanged(h.server, h.state);
  });

  test("a zstd body that is not zstd is 400; an unknown Content-Encoding is 415", async () => {
    const ws = workspace(BASELINE);
    const r = await postPack(h.server, packBytes({ root: ws.root }, ws.objects), "", {
      "Content-Encoding": "zstd",
    });
    expectError(r, 400, "E_BAD_REQUEST");
    const r2 = await postPack(h.server, zstdCompressSync(Buffer.from("x")), "", {
      "Content-Encoding": "gzip",
    });
    const error = expectError(r2, 415, "E_UNSUPPORTED");
    assert.match(error.message, /gzip/);
    await assertUnchanged(h.server, h.state);
  });

  test("a wrong Content-Type is 415 naming the expected one", async () => {
    const ws = workspace(BASELINE);
    const r = await postPack(h.server, packBytes({ root: ws.root }, ws.objects), "", {
      "Content-Type": "text/plain",
    });
    const error = expectError(r, 415, "E_UNSUPPORTED");
    assert.match(error.message, /application\/vnd\.caxton\.pack/);
    await assertUnchanged(h.server, h.state);
  });

  test("an object whose bytes do not hash to its name is refused and not adopted", async () => {
    const evil = Buffer.from("evil\n");
    const ws = workspace({ ...BASELINE, "x.md": "good\n" });
    const forged = ws.objects.map(([h, b]): ObjectEntry => [h, b.toString() === "good\n" ? evil : b]);
    const r = await postPack(h.server, packBytes({ root: ws.root }, forged));
    expectError(r, 422, "E_CHECKSUM_MISMATCH");
    const good = sha256Hex(Buffer.from("good\n"));
    const stored = await request(`${h.server.url}/api/v1/objects/${good}`);
    assert.equal(stored.status, 404, "the forged object is not in the store under the good name");
    await assertUnchanged(h.server, h.state);
  });
});

describe("malformed HTTP and clients that go away", () => {
  // not --quiet: the log is under test
  const h = serverWithBaseline(["--log-format", "text"], false);

  test("a request Node's HTTP parser refuses still gets a JSON error", async () => {
    for (const raw of [
      "FOO / HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /health HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n",
      "GET /health HTTP/9.9\r\nHost: x\r\n\r\n",
    ]) {
      const r = await rawHttp(h.server.url, Buffer.from(raw, "latin1"), { timeoutMs: 5_000 });
      assert.ok(r.status >= 400 && r.status < 500, `${JSON.stringify(raw)}: ${r.status}`);
      parseErrorBody(r.body.toString(), JSON.stringify(raw));
    }
    await assertUnchanged(h.server, h.state);
  });

  test("a request Node's HTTP parser refuses gets a 4xx and the connection is closed", async () => {
    const r = await rawHttp(h.server.url, Buffer.from("FOO / HTTP/1.1\r\nHost: x\r\n\r\n", "latin1"), {
      timeoutMs: 5_000,
      lingerMs: 500,
    });
    assert.equal(r.status, 400);
    assert.ok(r.closed);
    assert.equal((await request(`${h.server.url}/health`)).status, 200);
    await assertUnchanged(h.server, h.state);
  });

  test("a client that disconnects mid-upload: nothing applied, temp files removed", async () => {
    const ws = workspace({ ...BASELINE, "readme.md": "abandoned\n" });
    const body = packBytes({ root: ws.root }, ws.objects);
    await abandonUpload(h.server.url, body, body.length - 10);
    await assertUnchanged(h.server, h.state);
  });

  test("a client that disconnects mid-upload is not logged as an internal error", async () => {
    const requestsBefore = (h.server.stderr().match(/ POST \/api\/v1\/deployments \d{3} /g) ?? []).length;
    const ws = workspace({ ...BASELINE, "readme.md": "abandoned again\n" });
    const body = packBytes({ root: ws.root }, ws.objects);
    await abandonUpload(h.server.url, body, 20);
    await assertUnchanged(h.server, h.state);
    const logged = (): number =>
      (h.server.stderr().match(/ POST \/api\/v1\/deployments \d{3} /g) ?? []).length;
    assert.ok(await waitFor(() => logged() >= requestsBefore + 1, 3_000), "the request was not logged");
    assert.doesNotMatch(h.server.stderr(), / error: /, "a client going away is logged as an internal error");
  });
});

describe("amplification: a small request must not buy a lot of server work", () => {
  const h = serverWithBaseline(["--max-files", "200000"]);

  test("a 7 KB pack whose tree fans out to 2^60 paths is refused without expanding it, and /health stays responsive", async () => {
    const body = fanOutPack(60);
    assert.ok(body.length < 8 * 1024);
    let worstHealthMs = 0;
    let done = false;
    const probe = (async () => {
      while (!done) {
        const started = performance.now();
        await request(`${h.server.url}/health`);
        worstHealthMs = Math.max(worstHealthMs, performance.now() - started);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const started = performance.now();
    const r = await postPack(h.server, body);
    const elapsed = performance.now() - started;
    done = true;
    await probe;
    const error = expectError(r, 413, "E_TOO_LARGE");
    assert.equal(error.detail?.limit, "max_files");
    assert.ok(elapsed < 500, `refused after ${elapsed.toFixed(0)} ms`);
    assert.ok(worstHealthMs < 300, `/health took up to ${worstHealthMs.toFixed(0)} ms meanwhile`);
    await assertUnchanged(h.server, h.state);
  });
});
