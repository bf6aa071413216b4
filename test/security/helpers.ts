/**
 * Shared by the security tests: hand-built packs and tree objects (any bytes, not only what our encoder would
 * produce), raw HTTP over a socket (so Content-Length, pacing and garbage are ours to choose), the "nothing
 * changed" check every test ends with, and the fuzzers' time-boxed fast-check parameters.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { existsSync, readdirSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { buildTree } from "../../src/merkle/build-tree.js";
import { sha256Hex } from "../../src/merkle/sha256.js";
import { encodeObjectHead, encodePackEnd, encodePackStart } from "../../src/protocol/pack-encoder.js";
import { snapshot } from "../support/tree-snapshot.js";

export type ObjectEntry = [hash: string, bytes: Buffer];

// ---------------------------------------------------------------------------------------------- packs

export interface Workspace {
  root: string;
  objects: ObjectEntry[];
  files: Map<string, Buffer>;
}

/** A well-formed workspace built with our own Merkle code: every blob and tree object, and the root. */
export function workspace(files: Record<string, string | Buffer>): Workspace {
  const manifest = new Map<string, string>();
  const objects: ObjectEntry[] = [];
  const contents = new Map<string, Buffer>();
  for (const [path, content] of Object.entries(files)) {
    const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content);
    const hash = sha256Hex(bytes);
    manifest.set(path, hash);
    contents.set(path, bytes);
    if (!objects.some(([h]) => h === hash)) objects.push([hash, bytes]);
  }
  const tree = buildTree(manifest);
  for (const node of tree.trees.values()) objects.push([node.hash, node.bytes]);
  return { root: tree.root, objects, files: contents };
}

/** A whole pack body: preamble, header, one whole-object frame per entry, end. */
export function packBytes(header: Record<string, unknown>, objects: readonly ObjectEntry[]): Buffer {
  const parts = [encodePackStart(header)];
  for (const [hash, bytes] of objects) parts.push(encodeObjectHead(hash, bytes.length), bytes);
  parts.push(encodePackEnd());
  return Buffer.concat(parts);
}

export interface RawEntry {
  kind: string;
  /** the name's exact bytes (a string is UTF-8 encoded) */
  name: string | Buffer;
  hash: string;
}

/** A tree object exactly as given: no sorting, no checks, any kind and any name bytes. */
export function rawTree(entries: readonly RawEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(
      Buffer.from(e.kind, "latin1"),
      Buffer.of(0x20),
      Buffer.isBuffer(e.name) ? e.name : Buffer.from(e.name, "utf8"),
      Buffer.of(0x00),
      Buffer.from(e.hash, "hex"),
    );
  }
  return Buffer.concat(parts);
}

/** A tree object plus its hash, as an object entry. */
export function treeEntry(entries: readonly RawEntry[]): ObjectEntry {
  const bytes = rawTree(entries);
  return [sha256Hex(bytes), bytes];
}

export function blob(text: string | Buffer): ObjectEntry {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  return [sha256Hex(bytes), bytes];
}

// --------------------------------------------------------------------------------------------- errors

export interface ErrorBody {
  error: { code: string; message: string; hint: string | null; detail?: Record<string, unknown> };
}

/** Asserts `text` is a JSON error body `{error: {code, message, …}}` and returns it. */
export function parseErrorBody(text: string, context = ""): ErrorBody {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    assert.fail(`${context}: the error body is not JSON: ${JSON.stringify(text.slice(0, 300))}`);
  }
  const error = (body as { error?: unknown }).error as Record<string, unknown> | undefined;
  assert.ok(error && typeof error === "object", `${context}: no "error" object in ${text.slice(0, 300)}`);
  assert.equal(typeof error.code, "string", `${context}: error.code`);
  assert.equal(typeof error.message, "string", `${context}: error.message`);
  assert.ok((error.message as string).length > 0, `${context}: empty error.message`);
  return body as ErrorBody;
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
}

export async function request(
  url: string,
  init: RequestInit & { timeoutMs?: number } = {},
): Promise<HttpAnswer> {
  const res = await fetch(url, { signal: AbortSignal.timeout(init.timeoutMs ?? 15_000), ...init });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Asserts an answer is the given status and error code, and returns the error. */
export function expectError(answer: HttpAnswer, status: number, code: string): ErrorBody["error"] {
  const body = parseErrorBody(answer.text, `HTTP ${answer.status}`);
  assert.equal(answer.status, status, `expected ${status} ${code}, got ${answer.status}: ${answer.text}`);
  assert.equal(body.error.code, code, answer.text);
  assert.match(answer.headers.get("content-type") ?? "", /^application\/json/);
  return body.error;
}

// ------------------------------------------------------------------------------------------- raw HTTP

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** the server closed the connection after this answer (or before any answer) */
  closed: boolean;
  /** ms from the first byte written to the answer's end (or to the close) */
  elapsedMs: number;
}

/**
 * Opens a TCP connection and writes `chunks` (a function is called with the socket instead, to pace or stall).
 * Resolves with the first HTTP answer once its body is complete, or with status 0 if the server closed the
 * connection without answering. Keeps listening `lingerMs` after the answer to see whether the server closes.
 * `noBody`: the answer has no body whatever its Content-Length says (HEAD).
 */
export function rawHttp(
  url: string,
  send: Buffer | ((socket: Socket) => void),
  options: { timeoutMs?: number; lingerMs?: number; noBody?: boolean } = {},
): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const started = performance.now();
    let data = Buffer.alloc(0);
    let answer: RawAnswer | null = null;
    let settled = false;
    const finish = (value: RawAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(linger);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => {
      if (answer) finish(answer);
      else {
        settled = true;
        socket.destroy();
        reject(new Error(`no answer from ${url} within ${options.timeoutMs ?? 10_000} ms`));
      }
    }, options.timeoutMs ?? 10_000);
    let linger: NodeJS.Timeout | undefined;
    socket.on("data", (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (answer) return;
      const parsed = parseAnswer(data, options.noBody ?? false);
      if (parsed) {
        answer = { ...parsed, closed: false, elapsedMs: performance.now() - started };
        const done = answer;
        linger = setTimeout(() => finish(done), options.lingerMs ?? 0);
      }
    });
    socket.on("close", () => {
      if (answer) finish({ ...answer, closed: true });
      else
        finish({
          status: 0,
          headers: {},
          body: Buffer.alloc(0),
          closed: true,
          elapsedMs: performance.now() - started,
        });
    });
    socket.on("error", () => {
      /* a reset after or instead of an answer: "close" follows */
    });
    socket.once("connect", () => {
      if (typeof send === "function") send(socket);
      else socket.write(send);
    });
  });
}

function parseAnswer(
  data: Buffer,
  noBody: boolean,
): { status: number; headers: Record<string, string>; body: Buffer } | null {
  const end = data.indexOf("\r\n\r\n");
  if (end < 0) return null;
  const lines = data.toString("latin1", 0, end).split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "")?.[1] ?? NaN);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = noBody ? 0 : Number(headers["content-length"] ?? "0");
  const body = data.subarray(end + 4);
  if (body.length < length) return null;
  return { status, headers, body: body.subarray(0, length) };
}

/** The head of an HTTP/1.1 request; `Host` is added, and `Connection: close` unless `keepAlive`. */
export function requestHead(
  method: string,
  path: string,
  headers: Record<string, string | number>,
  options: { keepAlive?: boolean } = {},
): Buffer {
  const lines = [`${method} ${path} HTTP/1.1`, "Host: 127.0.0.1"];
  if (!options.keepAlive) lines.push("Connection: close");
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  return Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1");
}

// ----------------------------------------------------------------------------------------------- state

export interface ServerState {
  current: Map<string, string>;
  history: string;
}

function authHeaders(token?: string): Record<string, string> {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** `DATA/current` (following the link) and the history as the API lists it. */
export async function captureState(server: { url: string; dataDir: string }, token?: string) {
  const res = await request(`${server.url}/api/v1/deployments?limit=10000`, { headers: authHeaders(token) });
  assert.equal(res.status, 200, res.text);
  const current = join(server.dataDir, "current");
  return {
    current: existsSync(current) ? snapshot(current) : new Map<string, string>(),
    history: res.text,
  } satisfies ServerState;
}

export function tmpEntries(dataDir: string): string[] {
  return readdirSync(join(dataDir, "tmp"));
}

export async function waitFor(check: () => boolean, timeoutMs: number, stepMs = 25): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (check()) return true;
    if (performance.now() > deadline) return false;
    await sleep(stepMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * The invariant after any refused request: `current` byte-identical, history the same, nothing left in
 * DATA/tmp (a short wait covers the cleanup that runs as the request ends).
 */
export async function assertUnchanged(
  server: { url: string; dataDir: string },
  before: ServerState,
  token?: string,
): Promise<void> {
  const emptied = await waitFor(() => tmpEntries(server.dataDir).length === 0, 3_000);
  assert.ok(emptied, `DATA/tmp still holds ${tmpEntries(server.dataDir).join(", ")}`);
  const after = await captureState(server, token);
  assert.deepEqual(after.current, before.current, "DATA/current changed");
  assert.equal(after.history, before.history, "the history changed");
}

/**
 * A pack whose tree repeats one subtree under two names, `levels` deep: 2^(levels+1) paths from
 * `levels + 2` small objects (60 levels: a ~7 KB body).
 */
export function fanOutPack(levels: number): Buffer {
  const leaf = blob("x");
  let child = treeEntry([
    { kind: "blob", name: "a", hash: leaf[0] },
    { kind: "blob", name: "b", hash: leaf[0] },
  ]);
  const trees = [child];
  for (let i = 0; i < levels; i++) {
    child = treeEntry([
      { kind: "tree", name: "a", hash: child[0] },
      { kind: "tree", name: "b", hash: child[0] },
    ]);
    trees.push(child);
  }
  return packBytes({ root: child[0] }, [leaf, ...trees]);
}

// --------------------------------------------------------------------------------------------- fuzzing

const BUDGET_MS = Number(process.env.CAXTON_FUZZ_MS ?? 5_000);
/** CAXTON_FUZZ_SEED: replay a run */
export const FUZZ_SEED =
  process.env.CAXTON_FUZZ_SEED === undefined ? undefined : Number(process.env.CAXTON_FUZZ_SEED);

/** fast-check parameters: `numRuns`, cut off after CAXTON_FUZZ_MS per property (default 5 s). */
export function fuzzParams(numRuns: number): fc.Parameters<unknown> {
  return {
    numRuns,
    plugins: [fc.interruptAfterTimeLimit(BUDGET_MS)],
    ...(FUZZ_SEED === undefined ? {} : { seed: FUZZ_SEED }),
  };
}
