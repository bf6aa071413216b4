/**
 * Fuzzing: random and mutated bodies, headers, paths and methods against every endpoint of a real
 * `caxton serve`, with fast-check, time-boxed (CAXTON_FUZZ_MS per property, default 5 s; CAXTON_FUZZ_SEED to
 * replay). Every refusal is a 4xx with a JSON `{error: {code, message}}` whose status matches the code's;
 * a 2xx is accepted only where it cannot change anything (reads, negotiation, dry runs) or is a real, valid
 * deploy of the tree the fuzzer mutated (then `current` must be that tree, complete). Between properties the
 * server still answers /health; at the end `current` and history are as expected and DATA/tmp is empty.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { METHODS, request as httpRequest } from "node:http";
import { join } from "node:path";
import fc from "fast-check";
import { zstdCompressSync } from "../../src/compression/zstd-compress.js";
import { zstdDecompressSync } from "../../src/compression/zstd-decompress.js";
import { ERROR_CODES, isErrorCode } from "../../src/errors/error-codes.js";
import { RollbackRequestSchema } from "../../src/protocol/messages.js";
import { encodeNegotiate } from "../../src/protocol/negotiate-body.js";
import { encodeObjectHead, encodePackEnd, encodePackStart } from "../../src/protocol/pack-encoder.js";
import { NEGOTIATE_CONTENT_TYPE, PACK_CONTENT_TYPE } from "../../src/protocol/pack-format.js";
import { serverAndWorkspace } from "../support/server-and-workspace.js";
import { snapshot } from "../support/tree-snapshot.js";
import {
  captureState,
  rawHttp,
  sleep,
  tmpEntries,
  waitFor,
  workspace,
  type ServerState,
  type Workspace,
  fuzzParams,
  FUZZ_SEED,
} from "./helpers.js";

// ------------------------------------------------------------------------------------------ the subject

/** The valid pack the fuzzer mutates, with the offsets of its length fields. */
interface PackSubject {
  ws: Workspace;
  body: Buffer;
  /** offset of the u32 header length */
  headerLength: number;
  /** offsets of every frame's u64 size */
  sizes: number[];
}

function buildPack(ws: Workspace): PackSubject {
  const start = encodePackStart({ root: ws.root, deployed_by: "fuzzer", message: "mutated" });
  const parts: Buffer[] = [start];
  const sizes: number[] = [];
  let offset = start.length;
  for (const [hash, bytes] of ws.objects) {
    sizes.push(offset + 33);
    const head = encodeObjectHead(hash, bytes.length);
    parts.push(head, bytes);
    offset += head.length + bytes.length;
  }
  parts.push(encodePackEnd());
  return { ws, body: Buffer.concat(parts), headerLength: 5, sizes };
}

type Mutation =
  | { kind: "flip"; at: number; bit: number }
  | { kind: "set"; at: number; value: number }
  | { kind: "truncate"; at: number }
  | { kind: "splice"; at: number; bytes: Uint8Array }
  | { kind: "delete"; at: number; length: number }
  | { kind: "duplicate"; at: number; length: number }
  | { kind: "length"; field: number; value: bigint };

const HUGE = [
  2n ** 64n - 1n,
  2n ** 63n,
  2n ** 53n + 1n,
  2n ** 32n,
  2n ** 32n - 1n,
  4n * 1024n ** 3n + 1n,
  1024n ** 3n,
  0n,
  1n,
];

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant("splice" as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 80 }),
  }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 100 }) }),
  fc.record({
    kind: fc.constant("duplicate" as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 200 }),
  }),
  fc.record({
    kind: fc.constant("length" as const),
    field: fc.nat(),
    value: fc.oneof(fc.constantFrom(...HUGE), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
  }),
);

/** Applies mutations in order; `u32` is the offset of a u32 length field, `u64` those of u64 length fields. */
function mutate(source: Buffer, mutations: readonly Mutation[], u32: number, u64: readonly number[]): Buffer {
  let buf = Buffer.from(source);
  for (const m of mutations) {
    const at = buf.length === 0 ? 0 : m.kind === "length" ? 0 : (m as { at: number }).at % buf.length;
    switch (m.kind) {
      case "flip":
        if (buf.length) buf[at] = (buf[at] as number) ^ (1 << m.bit);
        break;
      case "set":
        if (buf.length) buf[at] = m.value;
        break;
      case "truncate":
        buf = buf.subarray(0, at);
        break;
      case "splice":
        buf = Buffer.concat([buf.subarray(0, at), m.bytes, buf.subarray(at)]);
        break;
      case "delete":
        buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + m.length)]);
        break;
      case "duplicate":
        buf = Buffer.concat([buf.subarray(0, at + m.length), buf.subarray(at)]);
        break;
      case "length": {
        const fields = [u32, ...u64];
        const i = m.field % fields.length;
        const offset = fields[i] as number;
        if (i === 0 && offset + 4 <= buf.length) buf.writeUInt32BE(Number(m.value & 0xffffffffn), offset);
        else if (i > 0 && offset + 8 <= buf.length) buf.writeBigUInt64BE(m.value, offset);
        break;
      }
    }
  }
  return buf;
}

// ---------------------------------------------------------------------------------------------- HTTP

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** node:http, so headers go out as given and nothing decodes the answer behind our back. */
function call(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url + path, { method, headers, agent: false, timeout: 15_000 }, (res) => {
      const parts: Buffer[] = [];
      const isStream = String(res.headers["content-type"] ?? "").startsWith("text/event-stream");
      if (isStream) {
        res.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.alloc(0) });
        return;
      }
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () => {
        let bytes: Buffer = Buffer.concat(parts);
        if (res.headers["content-encoding"] === "zstd" && bytes.length > 0)
          bytes = zstdDecompressSync(bytes, { maxOutputBytes: 64 * 1024 * 1024 });
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: bytes });
      });
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer to ${method} ${path} within 15 s`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** A refusal: 4xx, JSON `{error: {code, message}}`, the status the error table gives that code. */
function assertRefusal(reply: Reply, what: string): void {
  const text = reply.body.toString("utf8");
  assert.ok(reply.status >= 400 && reply.status < 500, `${what}: HTTP ${reply.status} ${text.slice(0, 400)}`);
  assert.match(String(reply.headers["content-type"] ?? ""), /^application\/json/, `${what}: content type`);
  let body: { error?: { code?: unknown; message?: unknown } };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    assert.fail(`${what}: HTTP ${reply.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  const code = body.error?.code;
  assert.ok(isErrorCode(code), `${what}: unknown error code ${String(code)}`);
  assert.equal(typeof body.error?.message, "string", `${what}: no message`);
  assert.ok((body.error?.message as string).length > 0, `${what}: empty message`);
  assert.equal(ERROR_CODES[code].http, reply.status, `${what}: ${code} with HTTP ${reply.status}`);
}

// -------------------------------------------------------------------------------------------- the suite

describe("fuzzing every endpoint of a real server", () => {
  // not --quiet: an internal error's stack goes to the log, which the final check reads
  const t = serverAndWorkspace({
    prefix: "caxton-fuzz-",
    init: false,
    serve: { quiet: false, args: ["--idle-timeout", "1", "--log-format", "text"] },
  });
  let expected: ServerState;
  let subject: PackSubject;
  let negotiation: Buffer;
  let baseline: Workspace;
  let accepted = 0;
  let parserRefusals = 0;
  /** answers seen, by "status code" (code for refusals), for the diagnostics */
  const seen = new Map<string, number>();
  const count = (key: string): void => {
    seen.set(key, (seen.get(key) ?? 0) + 1);
  };

  const known = [
    "/health",
    "/api/v1/negotiate",
    "/api/v1/deployments",
    "/api/v1/deployment",
    "/api/v1/deployment/manifest",
    "/api/v1/agents",
    "/api/v1/agents/fuzz",
    "/api/v1/rollback",
    "/api/v1/events",
    "/api/v1/deployments/1/changes",
    "/ready",
    "/metrics",
    "/",
  ];
  const readOnly = new Set(
    known.filter((p) => !/negotiate|rollback|deployments$/.test(p)).concat(["/api/v1/deployments"]),
  );

  before(async () => {
    baseline = workspace({ "config/a.toml": 'name = "a"\n', "readme.md": "baseline\n" });
    const body = Buffer.concat([
      encodePackStart({ root: baseline.root }),
      ...baseline.objects.flatMap(([h, b]) => [encodeObjectHead(h, b.length), b]),
      encodePackEnd(),
    ]);
    const r = await call(
      t.server.url,
      "POST",
      "/api/v1/deployments",
      { "Content-Type": PACK_CONTENT_TYPE },
      body,
    );
    assert.equal(r.status, 201, r.body.toString());
    expected = await captureState(t.server);
    subject = buildPack(
      workspace({
        "config/a.toml": 'name = "a"\n',
        "config/b.toml": 'name = "b"\nvalue = 2\n',
        "docs/guide/intro.md": "# Intro\n",
        "readme.md": "fuzzed\n",
        "assets/blob.bin": randomBytes(2_000),
      }),
    );
    negotiation = encodeNegotiate(
      { root: subject.ws.root },
      [...subject.ws.objects, ...baseline.objects].map(([h]) => h),
    );
  });

  /** A 2xx on a deploy is fine only as the subject tree itself, complete; then it becomes the expectation. */
  async function acceptDeploy(reply: Reply, what: string): Promise<void> {
    const result = JSON.parse(reply.body.toString()) as {
      deployed_checksum: string;
      dry_run: boolean;
      up_to_date: boolean;
    };
    assert.equal(result.deployed_checksum, subject.ws.root, `${what}: accepted a tree nobody sent`);
    if (result.dry_run || result.up_to_date) return;
    assert.equal(reply.status, 201, what);
    const live = snapshot(join(t.server.dataDir, "current"));
    const sent = new Map([...subject.ws.files].map(([p, b]) => [p, b.toString("base64")]));
    assert.deepEqual(live, sent, `${what}: current is not the complete tree that was sent`);
    accepted++;
    expected = await captureState(t.server);
  }

  /** The answer to any request: a refusal, or a success that cannot have changed anything it should not. */
  async function judge(reply: Reply, method: string, path: string, what: string): Promise<void> {
    count(`${reply.status} ${reply.status >= 400 && method !== "HEAD" ? errorCode(reply) : ""}`.trim());
    if (reply.status < 200 || reply.status >= 300) {
      if (method === "HEAD") {
        assert.ok(reply.status >= 400 && reply.status < 500, `${what}: HTTP ${reply.status}`);
        return;
      }
      assertRefusal(reply, what);
      return;
    }
    const pathname = pathnameOf(path);
    if (method === "POST" && pathname === "/api/v1/deployments") return acceptDeploy(reply, what);
    if (method === "POST" && pathname === "/api/v1/negotiate") return;
    if (method === "GET" && (readOnly.has(pathname) || pathname.startsWith("/api/v1/objects/"))) return;
    assert.fail(`${what}: unexpected success HTTP ${reply.status} ${reply.body.toString().slice(0, 300)}`);
  }

  function liveRoot(): string {
    const history = JSON.parse(expected.history) as { deployments: { checksum: string }[] };
    return history.deployments[0]?.checksum ?? "none";
  }

  async function healthy(): Promise<void> {
    assert.equal(t.server.child.exitCode, null, "the server exited");
    const r = await call(t.server.url, "GET", "/health", {});
    assert.equal(r.status, 200);
  }

  test("mutated packs (bit flips, truncations, splices, huge declared lengths), plain or zstd", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
        fc.constantFrom("identity", "zstd", "zstd-then-mutate"),
        async (mutations, encoding) => {
          let body: Buffer;
          if (encoding === "zstd-then-mutate")
            body = mutate(zstdCompressSync(subject.body), mutations, 0, []);
          else {
            body = mutate(subject.body, mutations, subject.headerLength, subject.sizes);
            if (encoding === "zstd") body = zstdCompressSync(body);
          }
          const headers: Record<string, string> = { "Content-Type": PACK_CONTENT_TYPE };
          if (encoding !== "identity") headers["Content-Encoding"] = "zstd";
          const reply = await call(t.server.url, "POST", "/api/v1/deployments", headers, body);
          await judge(
            reply,
            "POST",
            "/api/v1/deployments",
            `pack ${encoding} ${JSON.stringify(mutations, replacer)}`,
          );
        },
      ),
      fuzzParams(5_000),
    );
    await healthy();
  });

  test("mutated negotiation bodies", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (mutations, zstd) => {
          let body = mutate(negotiation, mutations, 4, []);
          if (zstd) body = zstdCompressSync(body);
          const headers: Record<string, string> = { "Content-Type": NEGOTIATE_CONTENT_TYPE };
          if (zstd) headers["Content-Encoding"] = "zstd";
          const reply = await call(t.server.url, "POST", "/api/v1/negotiate", headers, body);
          await judge(reply, "POST", "/api/v1/negotiate", `negotiate ${JSON.stringify(mutations, replacer)}`);
          if (reply.status === 200) {
            const answer = JSON.parse(reply.body.toString()) as { have: unknown; up_to_date: unknown };
            assert.equal(typeof answer.have, "string");
            assert.equal(typeof answer.up_to_date, "boolean");
          }
        },
      ),
      fuzzParams(5_000),
    );
    await healthy();
  });

  test("random bodies to every POST endpoint, with the right and wrong content types", async () => {
    const contentType = fc.constantFrom(
      PACK_CONTENT_TYPE,
      NEGOTIATE_CONTENT_TYPE,
      "application/json",
      `${PACK_CONTENT_TYPE}; charset=utf-8`,
      "text/plain",
      "",
    );
    const bodyArb = fc.oneof(
      fc.uint8Array({ maxLength: 4096 }).map((b) => Buffer.from(b)),
      fc.json().map((s) => Buffer.from(s)),
      fc
        .constantFrom("CXPK", "CXNG", "CXPK\u0001", "CXNG\u0000\u0000\u0000\u0002{}")
        .map((s) => Buffer.from(s)),
      fc
        .tuple(fc.constantFrom("CXPK\u0001", "CXNG"), fc.uint8Array({ maxLength: 512 }))
        .map(([magic, rest]) => Buffer.concat([Buffer.from(magic, "latin1"), rest])),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          "/api/v1/negotiate",
          "/api/v1/deployments",
          "/api/v1/deployments?dry_run=1",
          "/api/v1/rollback",
        ),
        contentType,
        bodyArb,
        async (path, type, body) => {
          if (path === "/api/v1/rollback") fc.pre(!isValidRollback(body));
          const headers: Record<string, string> = type ? { "Content-Type": type } : {};
          const reply = await call(t.server.url, "POST", path, headers, body);
          await judge(reply, "POST", path, `POST ${path} ${type} ${body.length} bytes`);
        },
      ),
      fuzzParams(5_000),
    );
    await healthy();
  });

  test("random headers: Content-Type, Content-Encoding, If-Match, If-None-Match, Accept-Encoding, Authorization", async () => {
    const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);
    // null: the endpoint's own type / body, so most requests get past the first check
    const typeArb = fc.oneof(
      { arbitrary: fc.constant(null), weight: 4 },
      {
        arbitrary: fc.oneof(
          fc.constantFrom(
            PACK_CONTENT_TYPE,
            NEGOTIATE_CONTENT_TYPE,
            "application/json",
            PACK_CONTENT_TYPE.toUpperCase(),
          ),
          fc.constantFrom(
            `${PACK_CONTENT_TYPE};x=y`,
            ` ${NEGOTIATE_CONTENT_TYPE} `,
            "application/json; charset=latin1",
          ),
          fc.stringMatching(/^[ -~]{0,40}$/),
        ),
        weight: 1,
      },
    );
    const headerArb = fc.record(
      {
        "Content-Encoding": fc.oneof(
          fc.constantFrom("zstd", "ZSTD", " zstd ", "identity", "gzip", "br", "zstd, gzip", "deflate", ""),
          fc.stringMatching(/^[!-~]{1,20}$/),
        ),
        "If-Match": fc.oneof(
          fc.constant("LIVE"),
          hex64.map((h) => `"${h}"`),
          fc.constantFrom("*", 'W/"x"', '""', `"${"0".repeat(64)}"`, `"${"A".repeat(64)}"`),
          fc.stringMatching(/^[!-~]{1,80}$/),
        ),
        "If-None-Match": fc.constantFrom("*", '"x"', "", "**"),
        "Accept-Encoding": fc.constantFrom("zstd", "gzip", "zstd;q=0", "*", "identity"),
        Authorization: fc.constantFrom("Bearer x", "Basic Zm9vOmJhcg==", ""),
        "Last-Event-ID": fc.constantFrom("0", "-1", "99999999999999999999", "x"),
      },
      { requiredKeys: [] },
    );
    const own: Record<string, { type: string; body: () => Buffer }> = {
      "/api/v1/deployments": { type: PACK_CONTENT_TYPE, body: () => subject.body },
      "/api/v1/deployments?dry_run=1": { type: PACK_CONTENT_TYPE, body: () => subject.body },
      "/api/v1/negotiate": { type: NEGOTIATE_CONTENT_TYPE, body: () => negotiation },
      "/api/v1/rollback": {
        type: "application/json",
        body: () => Buffer.from('{"target":"no-such-deployment"}'),
      },
    };
    const bodies = [subject.body, negotiation, Buffer.from('{"target":"zzz"}'), Buffer.alloc(0)];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(own)),
        typeArb,
        fc.oneof({ arbitrary: fc.constant(-1), weight: 3 }, fc.integer({ min: 0, max: bodies.length - 1 })),
        headerArb,
        async (path, type, bodyIndex, random) => {
          const endpoint = own[path] as { type: string; body: () => Buffer };
          const headers: Record<string, string> = { ...random, "Content-Type": type ?? endpoint.type };
          if (headers["If-Match"] === "LIVE") headers["If-Match"] = `"${liveRoot()}"`;
          let body = bodyIndex < 0 ? endpoint.body() : (bodies[bodyIndex] as Buffer);
          const encoding = String(headers["Content-Encoding"] ?? "")
            .trim()
            .toLowerCase();
          if (encoding === "zstd" && body.length > 0) body = zstdCompressSync(body);
          const reply = await call(t.server.url, "POST", path, headers, body);
          await judge(reply, "POST", path, `POST ${path} body ${bodyIndex} ${JSON.stringify(headers)}`);
        },
      ),
      fuzzParams(5_000),
    );
    await healthy();
  });

  test("random methods and request targets, sent raw", async () => {
    const safe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@%";
    const segment = fc
      .array(fc.constantFrom(...safe.split(""), "%2e", "%2f", "%00", "%ff", "%5c", "..", "%2E%2E"), {
        maxLength: 20,
      })
      .map((cs) => cs.join(""));
    const target = fc.oneof(
      fc.constantFrom(
        ...known,
        "/api/v1/objects/" + "0".repeat(64),
        "/api/v1/objects/" + "A".repeat(64),
        "/api/v1/objects/" + "0".repeat(63),
        "/api/v1/objects/../../caxton.db",
        "/api/v1/agents/..%2f..%2fcaxton.db",
        "/api/v1/agents/%00",
        "/api/v1/agents/%",
        "/api/v1/%2e%2e/deployments",
        "//api/v1/deployments",
        "/api/v1/deployments/",
        "/API/V1/DEPLOYMENTS",
        "/api/v1/deployments?limit=-1",
        "/api/v1/deployments?limit=99999999999999999999",
        "/api/v1/deployments?limit=NaN",
        "http://evil.example/api/v1/deployments",
        "*",
        "/" + "a".repeat(4000),
      ),
      fc.tuple(fc.constantFrom(...known), segment).map(([k, s]) => `${k}/${s}`),
      fc.tuple(fc.constantFrom(...known), segment).map(([k, s]) => `${k}?${s}`),
      fc.array(segment, { minLength: 1, maxLength: 6 }).map((ss) => `/${ss.join("/")}`),
    );
    const method = fc.oneof(
      { arbitrary: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"), weight: 8 },
      { arbitrary: fc.constantFrom("get", "Post", "CONNECT", "TRACE", "PROPFIND"), weight: 1 },
      { arbitrary: fc.stringMatching(/^[A-Z]{1,12}$/), weight: 1 },
    );
    await fc.assert(
      fc.asyncProperty(method, target, fc.uint8Array({ maxLength: 256 }), async (m, path, bytes) => {
        const body = Buffer.from(bytes);
        if (m === "POST" && pathnameOf(path) === "/api/v1/rollback") fc.pre(!isValidRollback(body));
        const head = Buffer.from(
          `${m} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n`,
          "latin1",
        );
        const r = await rawHttp(t.server.url, Buffer.concat([head, body]), {
          timeoutMs: 10_000,
          noBody: m === "HEAD",
        });
        const reply: Reply = { status: r.status, headers: r.headers, body: r.body };
        const what = `${m} ${path.slice(0, 120)}`;
        if (r.status === 0 && m === "CONNECT") {
          // Node's server closes a CONNECT it has no "connect" listener for, without an answer
          parserRefusals++;
          return;
        }
        if (r.status === 0) assert.fail(`${what}: the server closed the connection without answering`);
        if (r.status === 400 && !r.headers["content-type"]) {
          // Node's HTTP parser refused the request (an unknown method) before our handler saw it: a bare 400
          // without a JSON body (see "malformed HTTP" below)
          assert.ok(!KNOWN_METHODS.has(m), `${what}: a bare 400 for a method the parser knows`);
          parserRefusals++;
          return;
        }
        await judge(reply, m, path, what);
      }),
      fuzzParams(5_000),
    );
    await healthy();
  });

  test("Content-Length that lies: shorter or longer than the body", async () => {
    const cases = fc.sample(
      fc.record({
        path: fc.constantFrom("/api/v1/deployments", "/api/v1/negotiate", "/api/v1/rollback"),
        delta: fc.oneof(fc.integer({ min: -200, max: -1 }), fc.integer({ min: 1, max: 5000 })),
        body: fc.constantFrom("pack", "negotiate", "json"),
      }),
      { numRuns: 24, ...(FUZZ_SEED === undefined ? {} : { seed: FUZZ_SEED }) },
    );
    const answers = await Promise.all(
      cases.map(async ({ path, delta, body: which }) => {
        const body =
          which === "pack"
            ? subject.body
            : which === "negotiate"
              ? negotiation
              : Buffer.from('{"target":"zzz"}');
        const declared = Math.max(0, body.length + delta);
        const type =
          which === "pack"
            ? PACK_CONTENT_TYPE
            : which === "negotiate"
              ? NEGOTIATE_CONTENT_TYPE
              : "application/json";
        const head = Buffer.from(
          `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: ${type}\r\nContent-Length: ${declared}\r\n\r\n`,
          "latin1",
        );
        const r = await rawHttp(t.server.url, Buffer.concat([head, body]), { timeoutMs: 10_000 });
        return {
          r,
          short: declared < body.length,
          what: `${path} ${which} Content-Length ${declared} for ${body.length} bytes`,
        };
      }),
    );
    for (const { r, what, short } of answers) {
      if (short && r.status === 400 && !r.headers["content-type"]) {
        // the bytes past Content-Length are a malformed next request: Node's parser answers a bare 400 and
        // drops the connection, usually before our answer to the first request is out (reported as a bug)
        parserRefusals++;
        continue;
      }
      if (r.status === 0) {
        // a body shorter than declared: the client stalls, so the idle timeout cuts it off
        assert.ok(
          r.closed && r.elapsedMs >= 900 && r.elapsedMs < 5_000,
          `${what}: closed after ${r.elapsedMs} ms`,
        );
        continue;
      }
      await judge(
        { status: r.status, headers: r.headers, body: r.body },
        "POST",
        what.split(" ")[0] as string,
        what,
      );
    }
    await healthy();
  });

  test("afterwards: the server is up, current and history are as expected, DATA/tmp is empty", async (ctx) => {
    await healthy();
    assert.ok(
      await waitFor(() => tmpEntries(t.server.dataDir).length === 0, 5_000),
      `tmp: ${tmpEntries(t.server.dataDir).join(", ")}`,
    );
    await sleep(50);
    const now = await captureState(t.server);
    assert.deepEqual(now.current, expected.current, "current changed");
    assert.equal(now.history, expected.history, "history changed");
    // no internal error (an unexpected exception, logged with its stack) was hit, not even by a client
    // that went away mid-body (the lying Content-Length cases)
    const internal = internalErrors(t.server.stderr());
    assert.deepEqual(internal, [], `the server logged internal errors:\n${internal.join("\n")}`);
    ctx.diagnostic(`valid deploys among the mutations: ${accepted}`);
    const histogram = [...seen].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}: ${n}`);
    ctx.diagnostic(
      `answers judged: ${[...seen.values()].reduce((a, b) => a + b, 0)} (${histogram.join(", ")})`,
    );
    ctx.diagnostic(`requests refused by Node's HTTP parser (bare 400): ${parserRefusals}`);
  });
});

/** Methods Node's HTTP parser knows (http.METHODS); others it refuses itself. */
const KNOWN_METHODS = new Set(METHODS);

function errorCode(reply: Reply): string {
  try {
    return String((JSON.parse(reply.body.toString()) as { error?: { code?: unknown } }).error?.code);
  } catch {
    return "(not JSON)";
  }
}

function isValidRollback(body: Buffer): boolean {
  try {
    return RollbackRequestSchema.safeParse(JSON.parse(body.toString("utf8"))).success;
  } catch {
    return false;
  }
}

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof Uint8Array) return Buffer.from(value).toString("hex");
  return value;
}

/** The log's "error: METHOD PATH: …" lines: exceptions the server did not expect. */
function internalErrors(log: string): string[] {
  return log.split("\n").filter((l) => / error: /.test(l));
}

/** The path the server routes on: the WHATWG URL of the target against a dummy base, "/" if it does not parse. */
function pathnameOf(target: string): string {
  try {
    return new URL(target, "http://localhost").pathname;
  } catch {
    return "/";
  }
}
