/**
 * Authentication and TLS, against the real `caxton serve`: with --token-file every endpoint but
 * /health needs `Authorization: Bearer <token>`; the token never shows up in the log or an error; the server
 * refuses a token file others can read, and a non-loopback address without a token. TLS with a CA and a
 * server certificate (IP SAN 127.0.0.1) that the test generates with the openssl CLI.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import { encodeNegotiate } from "../../src/protocol/negotiate-body.js";
import { NEGOTIATE_CONTENT_TYPE, PACK_CONTENT_TYPE } from "../../src/protocol/pack-format.js";
import { exampleWorkspace } from "../../src/scaffold/example-workspace.js";
import {
  cleanup,
  runCli,
  tempDir,
  isServing,
  spawnServe,
  startServe,
  type ServeProcess,
} from "../support/caxton-process.js";
import { serverAndWorkspace } from "../support/server-and-workspace.js";
import { assertUnchanged, captureState, packBytes, parseErrorBody, sleep, workspace } from "./helpers.js";

interface Endpoint {
  method: "GET" | "POST";
  path: string;
  contentType?: string;
  body?: () => Buffer;
  /** the status with a valid token (the order of the list makes each of these true) */
  ok: number;
}

interface Answer {
  status: number;
  text: string;
  contentType: string;
}

/** One request; an event stream is cut off after its head (its status and type are all we need). */
async function call(url: string, e: Endpoint, headers: Record<string, string>): Promise<Answer> {
  const controller = new AbortController();
  const res = await fetch(url + e.path, {
    method: e.method,
    headers: { ...(e.contentType ? { "Content-Type": e.contentType } : {}), ...headers },
    ...(e.body ? { body: e.body() } : {}),
    signal: controller.signal,
  });
  const contentType = res.headers.get("content-type") ?? "";
  if (contentType.startsWith("text/event-stream")) {
    controller.abort();
    return { status: res.status, text: "", contentType };
  }
  return { status: res.status, text: await res.text(), contentType };
}

describe("bearer tokens (--token-file)", () => {
  // the server logs every request to stderr (no --quiet), so the log check below means something
  const t = serverAndWorkspace({
    prefix: "caxton-auth-",
    init: false,
    token: true,
    serve: { quiet: false, args: ["--log-format", "text"] },
  });
  const bodies: string[] = [];
  const first = workspace(exampleWorkspace("http://127.0.0.1:1"));
  const second = workspace({ ...exampleWorkspace("http://127.0.0.1:1"), "notes.md": "second\n" });
  const blobHash = first.objects[0]?.[0] as string;

  // in this order each call succeeds with the token: deploy twice, read, then roll back
  const endpoints: Endpoint[] = [
    {
      method: "POST",
      path: "/api/v1/deployments",
      contentType: PACK_CONTENT_TYPE,
      body: () => packBytes({ root: first.root }, first.objects),
      ok: 201,
    },
    {
      method: "POST",
      path: "/api/v1/deployments",
      contentType: PACK_CONTENT_TYPE,
      body: () => packBytes({ root: second.root }, second.objects),
      ok: 201,
    },
    {
      method: "POST",
      path: "/api/v1/negotiate",
      contentType: NEGOTIATE_CONTENT_TYPE,
      body: () => encodeNegotiate({ root: first.root }, [first.root, blobHash]),
      ok: 200,
    },
    { method: "GET", path: "/api/v1/deployment", ok: 200 },
    { method: "GET", path: "/api/v1/deployments", ok: 200 },
    { method: "GET", path: "/api/v1/deployments?limit=1", ok: 200 },
    { method: "GET", path: "/api/v1/deployment/manifest", ok: 200 },
    { method: "GET", path: "/api/v1/agents", ok: 200 },
    { method: "GET", path: "/api/v1/agents/coordinator", ok: 200 },
    { method: "GET", path: `/api/v1/objects/${blobHash}`, ok: 200 },
    { method: "GET", path: "/api/v1/events", ok: 200 },
    {
      method: "POST",
      path: "/api/v1/rollback",
      contentType: "application/json",
      body: () => Buffer.from(JSON.stringify({ target: null })),
      ok: 201,
    },
  ];

  test("`caxton token create FILE` writes a fresh random token with mode 0600 and never prints it", async () => {
    assert.equal(statSync(t.tokenFile).mode & 0o777, 0o600);
    assert.match(t.token, /^[A-Za-z0-9_-]{43}$/, "256 bits, base64url");
    const again = await runCli(["token", "create", t.tokenFile]);
    assert.equal(again.code, 2, "refuses to overwrite without --force");
    assert.equal(readFileSync(t.tokenFile, "utf8").trim(), t.token);
    const other = join(t.root, "token2");
    const r = await runCli(["token", "create", other]);
    assert.equal(r.code, 0);
    const token2 = readFileSync(other, "utf8").trim();
    assert.notEqual(token2, t.token);
    assert.ok(!r.stdout.includes(token2) && !r.stderr.includes(token2));
  });

  test("/health needs no token", async () => {
    const res = await fetch(`${t.server.url}/health`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { status: string }).status, "ok");
  });

  test("every other endpoint answers 401 E_UNAUTHORIZED without a token or with a wrong one", async () => {
    const before = await captureState(t.server, t.token);
    const wrong: Record<string, string>[] = [
      {},
      { Authorization: "" },
      { Authorization: "Bearer" },
      { Authorization: "Bearer " },
      { Authorization: "Bearer not-the-token-at-all-00000000" },
      { Authorization: `Bearer ${t.token}x` },
      { Authorization: `Bearer ${t.token.slice(0, -1)}` },
      { Authorization: `Bearer ${t.token.toUpperCase()}` },
      { Authorization: `Bearer ${t.token} ${t.token}` },
      { Authorization: `Basic ${Buffer.from(`caxton:${t.token}`).toString("base64")}` },
      { Authorization: t.token },
      { "X-Caxton-Token": t.token },
    ];
    for (const e of endpoints) {
      for (const headers of wrong) {
        const r = await call(t.server.url, e, headers);
        const what = `${e.method} ${e.path} with ${JSON.stringify(Object.keys(headers))}`;
        bodies.push(r.text);
        assert.equal(r.status, 401, `${what}: ${r.status} ${r.text}`);
        const { error } = parseErrorBody(r.text, what);
        assert.equal(error.code, "E_UNAUTHORIZED", what);
        assert.match(error.message, /token/);
        assert.match(r.contentType, /^application\/json/);
      }
    }
    await assertUnchanged(t.server, before, t.token);
  });

  test("with the token, every endpoint answers 2xx", async () => {
    for (const e of endpoints) {
      const r = await call(t.server.url, e, { Authorization: `Bearer ${t.token}` });
      bodies.push(r.text);
      assert.equal(r.status, e.ok, `${e.method} ${e.path}: ${r.status} ${r.text}`);
    }
    // the scheme name is case-insensitive (RFC 9110)
    const lower = await call(t.server.url, endpoints[4] as Endpoint, { Authorization: `bearer ${t.token}` });
    assert.equal(lower.status, 200);
  });

  test("unknown endpoints answer 404 with or without a token, /health stays open", async () => {
    const variants: Record<string, string>[] = [{}, { Authorization: `Bearer ${t.token}` }];
    for (const headers of variants) {
      const r = await call(t.server.url, { method: "GET", path: "/api/v1/nowhere", ok: 404 }, headers);
      bodies.push(r.text);
      assert.equal(r.status, 404);
      assert.equal(parseErrorBody(r.text).error.code, "E_NOT_FOUND");
    }
  });

  test("the token never appears in the server's log or in any answer", () => {
    assert.ok(bodies.length > 100, `${bodies.length} bodies checked`);
    for (const body of bodies)
      assert.ok(!body.includes(t.token), `an answer holds the token: ${body.slice(0, 200)}`);
    const log = t.server.stderr();
    assert.match(log, /GET \/api\/v1\/deployments 401/, "requests are logged");
    assert.ok(!log.includes(t.token), "the log holds the token");
    assert.ok(!t.server.stdout().includes(t.token), "stdout holds the token");
  });

  test("a token file other users can read (0644) is refused at start: exit 2, a clear message", async () => {
    const loose = join(t.root, "loose-token");
    writeFileSync(loose, `${t.token}\n`);
    chmodSync(loose, 0o644);
    const r = await spawnServe({ dataDir: join(t.root, "data-loose"), args: ["--token-file", loose] });
    assert.ok(!isServing(r), "the server started");
    if (isServing(r)) return;
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /token file .*loose-token is readable by other users/);
    assert.match(r.stderr, /chmod 600/);
    assert.ok(!r.stderr.includes(t.token) && !r.stdout.includes(t.token));
  });

  test("a missing, empty or short token file is refused at start with exit 2", async () => {
    const short = join(t.root, "short-token");
    writeFileSync(short, "abc\n", { mode: 0o600 });
    const empty = join(t.root, "empty-token");
    writeFileSync(empty, "", { mode: 0o600 });
    for (const [file, message] of [
      [join(t.root, "no-such-file"), /cannot read token file/],
      [short, /at least 16 characters/],
      [empty, /at least 16 characters/],
    ] as const) {
      const r = await spawnServe({ dataDir: join(t.root, "data-bad"), args: ["--token-file", file] });
      assert.ok(!isServing(r));
      if (isServing(r)) await r.stop();
      else {
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, message);
      }
    }
  });

  test("a non-loopback address without a token: exit 2 naming the token; with a token it starts", async () => {
    for (const listen of ["0.0.0.0:0", "[::]:0"]) {
      const r = await spawnServe({ dataDir: join(t.root, "data-open"), listen });
      assert.ok(!isServing(r), `listening on ${listen} without a token`);
      if (isServing(r)) {
        await r.stop();
        continue;
      }
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /refusing to listen on .* without a token/);
      assert.match(r.stderr, /caxton token create/);
    }
    // with a token it starts; no request is sent to the wildcard address
    const r = await spawnServe({
      dataDir: join(t.root, "data-open"),
      listen: "0.0.0.0:0",
      args: ["--token-file", t.tokenFile],
    });
    assert.ok(isServing(r), isServing(r) ? "" : r.stderr);
    if (!isServing(r)) return;
    assert.match(r.url, /^http:\/\/0\.0\.0\.0:\d+$/);
    // (a SIGTERM in the first milliseconds after "listening on" kills it instead: the signal handlers are
    // installed after that line is printed — reported)
    await sleep(100);
    assert.equal(await r.stop(), 0, "SIGTERM: a graceful shutdown");
  });
});

// --------------------------------------------------------------------------------------------------- TLS

function openssl(cwd: string, args: string[]): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
}

/** A CA and a server certificate for IP 127.0.0.1 signed by it (EC P-256, valid for a day). */
function makeCertificates(dir: string): { ca: Buffer; cert: string; key: string } {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(dir, [
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "1",
    "-subj",
    "/CN=Caxton test CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  openssl(dir, [
    "req",
    ...ec,
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=caxton test server",
  ]);
  writeFileSync(
    join(dir, "server.ext"),
    [
      "basicConstraints=CA:FALSE",
      "keyUsage=critical,digitalSignature",
      "extendedKeyUsage=serverAuth",
      "subjectAltName=IP:127.0.0.1",
      "",
    ].join("\n"),
  );
  openssl(dir, [
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.crt",
    "-days",
    "1",
    "-extfile",
    "server.ext",
  ]);
  return {
    ca: readFileSync(join(dir, "ca.crt")),
    cert: join(dir, "server.crt"),
    key: join(dir, "server.key"),
  };
}

interface HttpsOptions {
  ca?: Buffer;
  servername?: string;
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer;
}

function httpsCall(url: string, options: HttpsOptions = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: options.method ?? "GET",
        headers: options.headers ?? {},
        agent: false,
        timeout: 10_000,
        ...(options.ca ? { ca: options.ca } : {}),
        ...(options.servername ? { servername: options.servername } : {}),
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.end(options.body);
  });
}

describe("TLS (--tls-cert / --tls-key)", () => {
  let dir: string;
  let certs: { ca: Buffer; cert: string; key: string };
  let server: ServeProcess;
  before(async () => {
    dir = tempDir("caxton-tls-");
    certs = makeCertificates(dir);
    server = await startServe({ dataDir: join(dir, "data"), quiet: true, tls: certs });
  });
  after(async () => {
    await server?.stop();
    cleanup(dir);
  });

  test("the server listens on https", () => {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  });

  test("a client that trusts the CA gets answers, and can deploy", async () => {
    const health = await httpsCall(`${server.url}/health`, { ca: certs.ca });
    assert.equal(health.status, 200, health.text);
    const ws = workspace({ "config/a.toml": 'name = "a"\n', "readme.md": "over tls\n" });
    const r = await httpsCall(`${server.url}/api/v1/deployments`, {
      ca: certs.ca,
      method: "POST",
      headers: { "Content-Type": PACK_CONTENT_TYPE },
      body: packBytes({ root: ws.root }, ws.objects),
    });
    assert.equal(r.status, 201, r.text);
    const manifest = await httpsCall(`${server.url}/api/v1/deployment/manifest`, { ca: certs.ca });
    assert.equal((JSON.parse(manifest.text) as { checksum: string }).checksum, ws.root);
  });

  test("a client without the CA fails certificate verification", async () => {
    await assert.rejects(httpsCall(`${server.url}/health`), (err: NodeJS.ErrnoException) => {
      assert.match(
        String(err.code),
        /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER/,
      );
      return true;
    });
  });

  test("the certificate is only good for the name it was issued for", async () => {
    await assert.rejects(
      httpsCall(`${server.url}/health`, { ca: certs.ca, servername: "caxton.example" }),
      (err: NodeJS.ErrnoException) => {
        assert.equal(err.code, "ERR_TLS_CERT_ALTNAME_INVALID");
        return true;
      },
    );
  });

  test("plain HTTP to the TLS port gets no answer", async () => {
    const port = new URL(server.url).port;
    await assert.rejects(fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(5_000) }));
    const health = await httpsCall(`${server.url}/health`, { ca: certs.ca });
    assert.equal(health.status, 200);
  });

  test("--tls-cert without --tls-key, or an unreadable certificate, refuses to start (exit 2)", async () => {
    const data = join(dir, "data-bad");
    const cases: [string[], RegExp][] = [
      [["--tls-cert", certs.cert], /--tls-cert and --tls-key go together/],
      [["--tls-key", certs.key], /--tls-cert and --tls-key go together/],
      [["--tls-cert", join(dir, "missing.crt"), "--tls-key", certs.key], /--tls-cert: cannot read/],
    ];
    for (const [args, message] of cases) {
      const r = await spawnServe({ dataDir: data, args });
      assert.ok(!isServing(r));
      if (isServing(r)) await r.stop();
      else {
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, message);
      }
    }
  });

  test("HTTPS and a token together: 401 without it, 200 with it", async () => {
    const tokenFile = join(dir, "token");
    const created = await runCli(["token", "create", tokenFile]);
    assert.equal(created.code, 0, created.stderr);
    const token = readFileSync(tokenFile, "utf8").trim();
    const both = await startServe({
      dataDir: join(dir, "data-both"),
      quiet: true,
      tls: certs,
      args: ["--token-file", tokenFile],
    });
    try {
      const denied = await httpsCall(`${both.url}/api/v1/deployments`, { ca: certs.ca });
      assert.equal(denied.status, 401);
      assert.equal(parseErrorBody(denied.text).error.code, "E_UNAUTHORIZED");
      const allowed = await httpsCall(`${both.url}/api/v1/deployments`, {
        ca: certs.ca,
        headers: { Authorization: `Bearer ${token}` },
      });
      assert.equal(allowed.status, 200, allowed.text);
    } finally {
      await both.stop();
    }
  });
});
