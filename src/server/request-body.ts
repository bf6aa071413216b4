/**
 * HTTP body encodings on the server (docs/protocol.md, "Content-Encoding"): request bodies may be zstd
 * (`Content-Encoding: zstd`) or plain (curl users); anything else is 415. Responses are zstd when the client
 * says `Accept-Encoding: zstd`. Decoding is bounded: a body that expands past `max_body_bytes` fails with 413
 * one byte past the limit, after at most one 128 KiB output chunk plus zstd's window (≤ 8 MiB) in memory.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { zstdCompressSync } from "../compression/zstd-compress.js";
import { zstdDecompressChunks, zstdDecompressSync } from "../compression/zstd-decompress.js";
import { CaxtonError, isCaxtonError } from "../errors/caxton-error.js";
import type { LimitName } from "../errors/error-codes.js";

export type BodyEncoding = "identity" | "zstd";

/** The request's Content-Encoding, or E_UNSUPPORTED (415) for anything but zstd or none. */
export function requestEncoding(req: IncomingMessage): BodyEncoding {
  const raw = req.headers["content-encoding"];
  if (raw === undefined) return "identity";
  const value = raw.trim().toLowerCase();
  if (value === "" || value === "identity") return "identity";
  if (value === "zstd") return "zstd";
  throw new CaxtonError("E_UNSUPPORTED", `Content-Encoding ${JSON.stringify(raw)} is not supported`, {
    hint: "send the body zstd-compressed (Content-Encoding: zstd) or without a Content-Encoding",
    detail: { content_encoding: raw, supported: ["zstd", "identity"] },
  });
}

/**
 * The request body as it is decoded, for streaming consumers (packs). The encoding is checked now, so an
 * unsupported one fails before anything is read. At most `maxBytes` decoded bytes come out; one more is 413.
 * Abandoning the iteration leaves the request open (not destroyed), so the server can still answer.
 */
export function decodedRequestBody(req: IncomingMessage, maxBytes: number): AsyncIterable<Buffer> {
  const encoding = requestEncoding(req);
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > wireBound(encoding, maxBytes)) throw bodyTooLarge(maxBytes, false);
  const source = requestChunks(req);
  return encoding === "zstd" ? zstdBody(source, maxBytes) : identityBody(source, maxBytes);
}

/**
 * The most bytes a body decoding to at most `maxBytes` can take on the wire: itself, or for zstd the
 * content plus its framing (a block header per 128 KiB block and the frame's head and checksum; stored
 * blocks bound incompressible data). A larger Content-Length cannot be honest and is refused at once.
 */
function wireBound(encoding: BodyEncoding, maxBytes: number): number {
  return encoding === "identity" ? maxBytes : maxBytes + Math.ceil(maxBytes / (128 * 1024)) * 3 + 1024;
}

/**
 * The raw body chunks. Stopping early does not destroy the request (so an answer can still be sent), and a
 * client that goes away mid-body is a CaxtonError, not an internal error with a stack in the log.
 */
async function* requestChunks(req: IncomingMessage): AsyncGenerator<Buffer> {
  try {
    yield* req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ECONNRESET") {
      throw new CaxtonError(
        "E_BAD_REQUEST",
        "the client closed the connection before its body was complete",
        {
          cause: err,
        },
      );
    }
    throw err;
  }
}

async function* identityBody(source: AsyncIterable<Buffer>, maxBytes: number): AsyncGenerator<Buffer> {
  let size = 0;
  for await (const chunk of source) {
    size += chunk.length;
    if (size > maxBytes) throw bodyTooLarge(maxBytes, false);
    yield chunk;
  }
}

async function* zstdBody(source: AsyncIterable<Buffer>, maxBytes: number): AsyncGenerator<Buffer> {
  try {
    yield* zstdDecompressChunks(source, { maxOutputBytes: maxBytes });
  } catch (err) {
    throw rewrapLimit(err, maxBytes);
  }
}

/** A small body (JSON, negotiation) read whole: at most `limit` bytes on the wire and `limit` decoded. */
export async function readRequestBody(
  req: IncomingMessage,
  limit: number,
  limitName: LimitName = "max_body_bytes",
): Promise<Buffer> {
  const encoding = requestEncoding(req);
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > limit) throw bodyTooLarge(limit, false, undefined, limitName);
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of requestChunks(req)) {
    size += chunk.length;
    if (size > limit) throw bodyTooLarge(limit, false, undefined, limitName);
    parts.push(chunk);
  }
  const raw = Buffer.concat(parts, size);
  if (encoding === "identity") return raw;
  try {
    return zstdDecompressSync(raw, { maxOutputBytes: limit });
  } catch (err) {
    throw rewrapLimit(err, limit, limitName);
  }
}

/** Whether the client accepts zstd responses: `Accept-Encoding` names zstd with a non-zero q. */
export function acceptsZstd(req: IncomingMessage): boolean {
  const header = req.headers["accept-encoding"];
  if (!header) return false;
  return header.split(",").some((item) => {
    const [name, ...params] = item.split(";").map((s) => s.trim().toLowerCase());
    if (name !== "zstd") return false;
    const q = params.find((p) => p.startsWith("q="));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/** Sends `body` with its type, zstd-compressed when the request accepts it and there is content. */
export function sendBody(res: ServerResponse, status: number, contentType: string, body: Buffer): void {
  const zstd = body.length > 0 && acceptsZstd(res.req);
  const payload = zstd ? zstdCompressSync(body) : body;
  res.writeHead(status, {
    "Content-Type": contentType,
    "Content-Length": payload.length,
    Vary: "Accept-Encoding",
    ...(zstd ? { "Content-Encoding": "zstd" } : {}),
  });
  res.end(payload);
}

function rewrapLimit(err: unknown, limit: number, limitName: LimitName = "max_body_bytes"): unknown {
  if (isCaxtonError(err) && err.code === "E_TOO_LARGE" && err.detail?.limit === limit) {
    return bodyTooLarge(limit, true, err, limitName);
  }
  return err;
}

function bodyTooLarge(
  limit: number,
  decoded: boolean,
  cause?: unknown,
  limitName: LimitName = "max_body_bytes",
): CaxtonError {
  const what = decoded ? "the request body decompresses to more than" : "the request body exceeds";
  return new CaxtonError("E_TOO_LARGE", `${what} the server's limit of ${limit} bytes (${limitName})`, {
    detail: { limit: limitName, value: limit },
    hint: decoded
      ? "nothing was applied; a body this large is refused (a decompression bomb, or raise the server's limit)"
      : "nothing was applied; raise the server's limit or make the workspace smaller",
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * How much of a refused body is still read (and discarded), and for how long, before the connection closes.
 * Measured on loopback: a client streaming a large pack sent 6-70 MB more before it had read an early 413
 * (the socket buffers fill while the answer travels), so 64 MiB was not always enough.
 */
const LINGER_BYTES = 512 * 1024 * 1024;
const LINGER_MS = 10_000;

/**
 * For a request refused before its body was read (413, 412, 422 …): keep reading and discarding the body for
 * a while after answering, so that a client still sending sees the answer. Closing at once makes the kernel
 * answer the client's next bytes with a reset, which can destroy the answer unread (the client then reports
 * EPIPE instead of, say, 413). Bounded: after LINGER_BYTES more bytes or LINGER_MS the connection is closed;
 * a client that finishes its body in time keeps its connection.
 */
export function lingerAfterRefusal(req: IncomingMessage): void {
  let discarded = 0;
  const close = (): void => {
    clearTimeout(timer);
    req.socket.destroy();
  };
  const timer = setTimeout(close, LINGER_MS);
  timer.unref();
  req.on("data", (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > LINGER_BYTES) close();
  });
  req.once("end", () => clearTimeout(timer));
  req.once("close", () => clearTimeout(timer));
  req.resume();
}
