/** Shared by the wire tests: workspaces with generated content, a server at a fixed port, raw requests. */
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import assert from "node:assert/strict";
import { zstdDecompressSync } from "../../src/compression/zstd-decompress.js";
import { runCli, startServe, type ServeProcess } from "../support/caxton-process.js";

/** A free TCP port on 127.0.0.1 (closed again, so a server can be restarted at the same address). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function startServerAt(dataDir: string, port: number, args: string[] = []): Promise<ServeProcess> {
  return startServe({ dataDir, listen: `127.0.0.1:${port}`, quiet: true, args });
}

/** Text-like content: numbered lines of pseudo-random words, so it compresses like configuration does. */
export function textLike(bytes: number, seed = 1): Buffer {
  const words = ["agent", "tool", "prompt", "model", "server", "route", "task", "alpha", "beta", "gamma"];
  let x = seed >>> 0 || 1;
  const next = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `${i} ${words[next() % 10]}_${next() % 1000} = "${words[next() % 10]} ${next().toString(36)}"\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join("")).subarray(0, bytes);
}

export function incompressible(bytes: number): Buffer {
  return randomBytes(bytes);
}

export async function deployJson(
  ws: string,
  server: string,
  state: string,
): Promise<Record<string, unknown> & { files: FileJson[] }> {
  const r = await runCli(["deploy", ws, "--server", server, "--json"], { CAXTON_STATE_DIR: state });
  assert.equal(r.code, 0, `deploy failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r.json() as Record<string, unknown> & { files: FileJson[] };
}

export interface FileJson {
  path: string;
  operation: string;
  bytes: number;
  sent: "whole" | "delta" | "none";
}

export interface RawAnswer {
  status: number;
  headers: Headers;
  json: { error?: { code: string; message: string; detail?: Record<string, unknown> } } & Record<
    string,
    unknown
  >;
}

/** A request with exactly these headers and body; a zstd answer is decoded. */
export async function rawRequest(
  url: string,
  method: string,
  body: Buffer | null,
  headers: Record<string, string>,
): Promise<RawAnswer> {
  const res = await fetch(url, { method, headers, ...(body ? { body } : {}) });
  let bytes: Buffer = Buffer.from(await res.arrayBuffer());
  if (res.headers.get("content-encoding") === "zstd") {
    bytes = zstdDecompressSync(bytes, { maxOutputBytes: 64 * 1024 * 1024 });
  }
  return {
    status: res.status,
    headers: res.headers,
    json: JSON.parse(bytes.toString("utf8")) as RawAnswer["json"],
  };
}
