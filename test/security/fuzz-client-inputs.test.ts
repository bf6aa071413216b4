/**
 * Fuzzing the client's own inputs, time-boxed (CAXTON_FUZZ_MS per property, default 5 s; CAXTON_FUZZ_SEED to
 * replay): `caxton.toml`, `.caxtonignore`, the local state file, and the answers of a hostile or broken
 * server. Whatever they hold, the client answers with a CaxtonError or a result, never another exception,
 * and writes nothing outside its state dir (the workspace and the folder around it stay byte-identical).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import fc from "fast-check";
import { BlobCache } from "../../src/client/blob-cache.js";
import { deployWorkspace } from "../../src/client/deploy-workspace.js";
import { LocalState } from "../../src/client/local-state.js";
import { withLocalState } from "../../src/client/open-local-state.js";
import { validateLocally } from "../../src/client/validate-locally.js";
import { zstdCompressSync } from "../../src/compression/zstd-compress.js";
import { isCaxtonError } from "../../src/errors/caxton-error.js";
import { scanWorkspace } from "../../src/workspace/scan-workspace.js";
import { resolveServer } from "../../src/cli/resolve-target.js";
import { cleanup, runCli, tempDir } from "../support/caxton-process.js";
import { snapshot } from "../support/tree-snapshot.js";
import { fuzzParams } from "./helpers.js";

/** Runs `f`; a CaxtonError is an answer, anything else thrown fails the property. */
async function answers(f: () => unknown): Promise<void> {
  try {
    await f();
  } catch (err) {
    if (!isCaxtonError(err)) throw err;
    assert.doesNotMatch(err.message, /\n/, "one line");
  }
}

/** TOML-ish text: fragments of real syntax glued at random, and arbitrary strings. */
const tomlArb = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc
    .array(
      fc.constantFrom(
        "[deploy]\n",
        "[workspace]\n",
        'server = "http://127.0.0.1:1"\n',
        "server = 42\n",
        'allow_links_to = ["../x", "/"]\n',
        "allow_links_to = [1, true]\n",
        'allow_links_to = "not a list"\n',
        "[[deploy]]\n",
        "x = { y = [",
        "= =\n",
        '"\\u0000" = 1\n',
        "deploy.server = 1979-05-27\n",
      ),
      { maxLength: 8 },
    )
    .map((parts) => parts.join("")),
);

const ignoreArb = fc
  .array(
    fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.constantFrom(
        "*",
        "**",
        "!",
        "!*",
        "/",
        "\\",
        "[",
        "[!a-",
        "agents/",
        "!agents/**",
        "#",
        "  ",
        "**/*.toml",
        "\\!x",
      ),
    ),
    { maxLength: 10 },
  )
  .map((lines) => lines.join("\n"));

describe("fuzz: the client's own inputs", () => {
  let root: string;
  let ws: string;
  before(async () => {
    root = tempDir("caxton-fuzz-client-");
    ws = join(root, "ws");
    assert.equal((await runCli(["init", ws])).code, 0);
  });
  after(() => cleanup(root));

  test("caxton.toml: scan, server resolution and local validation answer, never crash", async () => {
    const original = readFileSync(join(ws, "caxton.toml"));
    try {
      await fc.assert(
        fc.asyncProperty(tomlArb, async (text) => {
          writeFileSync(join(ws, "caxton.toml"), text);
          await answers(() => resolveServer(undefined, ws));
          await answers(async () => validateLocally(scanWorkspace(ws), null));
        }),
        fuzzParams(2_000),
      );
    } finally {
      writeFileSync(join(ws, "caxton.toml"), original);
    }
  });

  test(".caxtonignore: the scan answers, and the ignore file itself is always in the tree", async () => {
    try {
      await fc.assert(
        fc.asyncProperty(ignoreArb, async (text) => {
          writeFileSync(join(ws, ".caxtonignore"), text);
          await answers(() => {
            const scan = scanWorkspace(ws);
            assert.ok(scan.manifest.has(".caxtonignore"));
          });
        }),
        fuzzParams(2_000),
      );
    } finally {
      writeFileSync(join(ws, ".caxtonignore"), "");
    }
  });

  test("the state file, damaged at random: rebuilt or an E_STATE error, never a crash", async () => {
    const seedDir = join(root, "state-seed");
    const good = LocalState.open(seedDir);
    const files = new Map([...Array(300).keys()].map((i) => [`f${i}.txt`, "a".repeat(64)]));
    good.recordDeployment(
      {
        workspace_path: ws,
        server_url: "http://s",
        server_deployment_id: 1,
        deployed_checksum: "b".repeat(64),
        deployment_time: "t",
        changes_count: 1,
      },
      { files },
      ["c".repeat(64)],
    );
    good
      .statCache(ws)
      .save(new Map([["x", { fingerprint: "1:2:3:4", hash: "d".repeat(64), clean: true }]]), []);
    good.close();
    const pristine = readFileSync(join(seedDir, "state.db"));
    const dir = join(root, "state-fuzz");
    const outside = snapshot(ws);
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            at: fc.nat({ max: pristine.length }),
            bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }),
          }),
          {
            minLength: 1,
            maxLength: 6,
          },
        ),
        fc.option(fc.nat({ max: pristine.length }), { nil: undefined }),
        async (writes, truncateAt) => {
          rmSync(dir, { recursive: true, force: true });
          const damaged = Buffer.from(pristine);
          for (const w of writes) damaged.set(w.bytes.subarray(0, damaged.length - w.at), w.at);
          mkdirSync(dir);
          writeFileSync(
            join(dir, "state.db"),
            truncateAt === undefined ? damaged : damaged.subarray(0, truncateAt),
          );
          await answers(() =>
            withLocalState(
              async (state) => {
                state.statCache(ws).load();
                state.lastDeployment(ws, "http://s");
                state.deployedFiles(ws, "http://s");
                state.knownOnServer("http://s", ["c".repeat(64)]);
                state.recordDeployment(
                  {
                    workspace_path: ws,
                    server_url: "http://s",
                    server_deployment_id: 2,
                    deployed_checksum: "e".repeat(64),
                    deployment_time: "t",
                    changes_count: 0,
                  },
                  { files: new Map([["g", "f".repeat(64)]]) },
                  [],
                );
              },
              () => {},
              dir,
            ),
          );
        },
      ),
      fuzzParams(500),
    );
    assert.deepEqual(snapshot(ws), outside, "the workspace is untouched");
    // damaged files were only ever moved aside within the state dir
    assert.deepEqual(readdirSync(root).sort(), ["state-fuzz", "state-seed", "ws"]);
    assert.ok(readFileSync(join(seedDir, "state.db")).equals(pristine), "the seed is untouched");
  });
});

// ------------------------------------------------------------------------------------ a hostile server

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

const HASH = "a".repeat(64);
const bodyArb: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v))),
  fc
    .record({
      code: fc.oneof(
        fc.constantFrom("E_MISSING_OBJECTS", "E_BASE_MISMATCH", "E_TOO_LARGE", "E_BUSY", "E_VALIDATION"),
        fc.string(),
      ),
      message: fc.oneof(
        fc.string(),
        fc.constant("line 1\nline 2\u001b[31m red\u0007"),
        fc.constant("x".repeat(5000)),
      ),
      hint: fc.option(fc.string(), { nil: null }),
      detail: fc.option(
        fc.oneof(
          fc.record({ missing: fc.array(fc.oneof(fc.constant(HASH), fc.string()), { maxLength: 5 }) }),
          fc.record({
            limit: fc.constantFrom("max_object_bytes", "max_files"),
            value: fc.oneof(fc.nat(), fc.string()),
          }),
          fc.record({ delta: fc.boolean() }),
          fc.record({ errors: fc.array(fc.jsonValue(), { maxLength: 3 }) }),
        ),
        { nil: undefined },
      ),
    })
    .map((error) => Buffer.from(JSON.stringify({ error }))),
  fc
    .record({
      current: fc.option(
        fc.record({ deployment_id: fc.integer(), checksum: fc.constant(HASH), time: fc.string() }),
        {
          nil: null,
        },
      ),
      up_to_date: fc.boolean(),
      have: fc.oneof(fc.string(), fc.base64String({ maxLength: 40 })),
    })
    .map((v) => Buffer.from(JSON.stringify(v))),
  fc
    .record({
      success: fc.constant(true),
      dry_run: fc.boolean(),
      up_to_date: fc.boolean(),
      deployment_id: fc.option(fc.integer(), { nil: null }),
      deployed_checksum: fc.constant(HASH),
      previous_checksum: fc.constant(null),
      changes_applied: fc.integer(),
      added: fc.array(
        fc.oneof(fc.constantFrom("../../etc/x", "/abs", "agents/coordinator.toml"), fc.string()),
        { maxLength: 4 },
      ),
      modified: fc.array(fc.string(), { maxLength: 2 }),
      deleted: fc.array(fc.string(), { maxLength: 2 }),
      warnings: fc.constant([]),
      timestamp: fc.string(),
      validation_ms: fc.double({ noNaN: true }),
      apply_ms: fc.nat(),
    })
    .map((v) => Buffer.from(JSON.stringify(v))),
);

const answerArb: fc.Arbitrary<Answer> = fc.record({
  status: fc.constantFrom(200, 201, 204, 304, 400, 401, 404, 409, 412, 413, 422, 500, 503, 599, 302),
  headers: fc.record(
    {
      "content-encoding": fc.constantFrom("zstd", "gzip", "identity", "zstd, zstd"),
      "caxton-limits": fc.oneof(
        fc.string({ maxLength: 80 }),
        fc.constantFrom(
          "max_object_bytes=0",
          "max_files=0, max_object_bytes=-1",
          "max_files=99999999999999999999",
        ),
      ),
      "caxton-deployment-id": fc.oneof(fc.string({ maxLength: 10 }), fc.integer().map(String)),
      "caxton-deployment-time": fc.string({ maxLength: 10 }),
    },
    { requiredKeys: [] },
  ),
  body: bodyArb,
});

describe("fuzz: a hostile server", () => {
  let root: string;
  let ws: string;
  let server: Server;
  let url: string;
  let queue: Answer[] = [];
  before(async () => {
    root = tempDir("caxton-fuzz-server-");
    ws = join(root, "ws");
    assert.equal((await runCli(["init", ws])).code, 0);
    writeFileSync(join(ws, "big.txt"), "line of text\n".repeat(2000)); // a delta candidate once cached
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const a = queue.shift() ?? { status: 500, headers: {}, body: Buffer.from("{}") };
      req.resume(); // read and drop the request, or answer early: either is fair
      const body =
        a.headers["content-encoding"] === "zstd" && a.body.length > 0 && a.body[0]! % 2 === 0
          ? zstdCompressSync(a.body)
          : a.body;
      try {
        res.writeHead(a.status, { ...a.headers, "Content-Length": String(body.length) });
        res.end(a.status === 304 || a.status === 204 ? undefined : body);
      } catch {
        res.destroy();
      }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    cleanup(root);
  });

  test("deploy against any answers: a result or a CaxtonError, nothing written outside the state dir", async () => {
    const before = snapshot(ws);
    const stateDir = join(root, "state");
    await fc.assert(
      fc.asyncProperty(
        fc.array(answerArb, { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        async (answersList, fresh) => {
          queue = [...answersList];
          if (fresh) rmSync(stateDir, { recursive: true, force: true });
          const state = LocalState.open(stateDir);
          try {
            const attempt = await deployWorkspace({
              workspace: ws,
              server: url,
              state,
              blobCache: new BlobCache(join(stateDir, "blobs")),
            });
            if (!attempt.ok) {
              assert.ok(isCaxtonError(attempt.error));
              // eslint-disable-next-line no-control-regex
              assert.doesNotMatch(attempt.error.message, /[\n\u001b\u0007]/, "one printable line");
            }
          } finally {
            state.close();
          }
        },
      ),
      fuzzParams(300),
    );
    assert.deepEqual(snapshot(ws), before, "the workspace is byte-identical");
    assert.deepEqual(
      readdirSync(root).sort(),
      ["state", "ws"],
      "nothing beside the state dir and the workspace",
    );
  });
});
