/**
 * Bodies on the wire for the API client: a request body streamed with backpressure and turns of the event
 * loop (so an early answer is read), compressed as it is produced, and a response body decoded within a bound.
 * The zstd binding loads on first use: a no-change deploy needs none of it.
 */
import type http from "node:http";
import { pipeline, Readable } from "node:stream";
import { CaxtonError } from "../errors/caxton-error.js";
import type * as Compress from "../compression/zstd-compress.js";
import type * as Decompress from "../compression/zstd-decompress.js";

export interface RawResponse {
  status: number;
  body: Buffer;
  headers: http.IncomingHttpHeaders;
}

export interface Codec {
  createZstdCompressStream: typeof Compress.createZstdCompressStream;
  zstdCompressSync: typeof Compress.zstdCompressSync;
  zstdDecompressSync: typeof Decompress.zstdDecompressSync;
}
let codecLoad: Promise<Codec> | undefined;
export const loadCodec = (): Promise<Codec> =>
  (codecLoad ??= Promise.all([
    import("../compression/zstd-compress.js"),
    import("../compression/zstd-decompress.js"),
  ]).then(([a, b]) => ({
    createZstdCompressStream: a.createZstdCompressStream,
    zstdCompressSync: a.zstdCompressSync,
    zstdDecompressSync: b.zstdDecompressSync,
  })));

/**
 * A response body may decode to at most this much. Responses are JSON (the largest, a manifest of a million
 * files, is ~100 MB) or one object for `caxton diff`; this only stops a hostile server's bomb early.
 */
export const MAX_RESPONSE_BYTES = 1024 ** 3;

/**
 * The body with a turn of the event loop every 20 ms while it is produced, ending early once `stopped`.
 * Reading and compressing a body runs in microtasks only (stream internals), so without these turns the
 * socket is never polled: a server's early answer (413 at a frame head) went unread until the server gave
 * up on the body (measured: a 2 GiB sparse file, whose zeros compress to almost nothing, ended in EPIPE
 * after 10 s instead of the 413 the server sent in milliseconds).
 */
export async function* withTurns(
  body: AsyncIterable<Buffer>,
  stopped: () => boolean,
): AsyncGenerator<Buffer> {
  let last = performance.now();
  for await (const chunk of body) {
    yield chunk;
    if (performance.now() - last >= 20) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      last = performance.now();
    }
    if (stopped()) return;
  }
}

/**
 * The body compressed as it is produced: the generator is pulled only as fast as the socket drains (one
 * item buffered ahead), and zstd holds its 2 MiB window plus one 128 KiB output chunk.
 */
export function zstdStream(body: AsyncIterable<Buffer>, codec: Codec): AsyncIterable<Buffer> {
  return pipeline(
    Readable.from(body, { objectMode: true, highWaterMark: 1 }),
    codec.createZstdCompressStream(),
    () => {}, // errors reach the consumer through the returned stream
  );
}

export async function decodeResponse(res: RawResponse): Promise<Buffer> {
  const { body } = res;
  const encoding = (res.headers["content-encoding"] ?? "identity").trim().toLowerCase();
  if (encoding === "identity" || body.length === 0) return body;
  if (encoding !== "zstd") {
    throw new CaxtonError(
      "E_PROTOCOL",
      `the server answered with an unsupported Content-Encoding ${encoding}`,
    );
  }
  try {
    return (await loadCodec()).zstdDecompressSync(body, { maxOutputBytes: MAX_RESPONSE_BYTES });
  } catch (err) {
    throw new CaxtonError("E_PROTOCOL", `the server's zstd answer could not be decoded: ${String(err)}`, {
      cause: err,
    });
  }
}

/**
 * Writes a streamed body with backpressure. The server may answer before the body is complete (a refusal:
 * 413, 412, a checksum mismatch): then sending stops, and the connection is dropped once the answer is read.
 */
export async function pipeBody(body: AsyncIterable<Buffer>, req: http.ClientRequest): Promise<void> {
  let answered = false;
  req.once("response", () => (answered = true));
  let sinceYield = 0;
  for await (const chunk of body) {
    if (req.destroyed || answered) return;
    // While the kernel takes every write at once, 'drain' comes on process.nextTick and the event loop never
    // polls the socket, so an early answer went unread for up to 170 MB (measured); a turn per MiB reads it.
    sinceYield += chunk.length;
    if (sinceYield >= 1024 * 1024) {
      sinceYield = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (req.destroyed || answered) return;
    }
    if (!req.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          req.off("drain", done).off("close", done).off("response", done);
          resolve();
        };
        req.on("drain", done).on("close", done).on("response", done);
      });
    }
  }
  if (!req.destroyed && !answered) req.end();
}
