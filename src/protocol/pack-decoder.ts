/**
 * A push parser for the pack stream. Feed it chunks as they arrive; it returns events. It holds at most one
 * frame head and the JSON header in memory: object content is handed out chunk by chunk, never buffered, so
 * a peer's declared size never becomes an allocation. Every malformation is a CaxtonError.
 */
import { CaxtonError } from "../errors/caxton-error.js";
import {
  FRAME_DELTA,
  FRAME_END,
  FRAME_OBJECT,
  MAX_HEADER_BYTES,
  PACK_MAGIC,
  PACK_VERSION,
} from "./pack-format.js";

export type PackEvent =
  | { type: "header"; header: unknown }
  | { type: "object"; hash: string; size: number; base: string | null; payloadSize: number }
  | { type: "data"; chunk: Buffer }
  | { type: "object-end" }
  | { type: "end" };

export interface PackLimits {
  maxObjectBytes: number;
  maxObjects: number;
}

type State = "preamble" | "header" | "frame" | "payload" | "done";

export class PackDecoder {
  private state: State = "preamble";
  private pending: Buffer = Buffer.alloc(0);
  private headerLength = 0;
  private remaining = 0;
  private objects = 0;

  constructor(private readonly limits: PackLimits) {}

  get finished(): boolean {
    return this.state === "done";
  }

  push(chunk: Buffer): PackEvent[] {
    const events: PackEvent[] = [];
    if (this.state === "done") {
      if (chunk.length > 0) throw bad("bytes after the end of the pack");
      return events;
    }
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    for (;;) {
      if (this.state === "payload") {
        if (this.pending.length === 0) break;
        const take = Math.min(this.remaining, this.pending.length);
        events.push({ type: "data", chunk: this.pending.subarray(0, take) });
        this.pending = this.pending.subarray(take);
        this.remaining -= take;
        if (this.remaining === 0) {
          events.push({ type: "object-end" });
          this.state = "frame";
        }
        continue;
      }
      if (this.state === "preamble") {
        if (this.pending.length < 9) break;
        if (!this.pending.subarray(0, 4).equals(PACK_MAGIC)) throw bad("not a Caxton pack (bad magic)");
        const version = this.pending.readUInt8(4);
        if (version !== PACK_VERSION) {
          throw new CaxtonError(
            "E_UNSUPPORTED",
            `pack version ${version} is not supported (want ${PACK_VERSION})`,
          );
        }
        this.headerLength = this.pending.readUInt32BE(5);
        if (this.headerLength > MAX_HEADER_BYTES)
          throw bad(`header of ${this.headerLength} bytes is too large`);
        this.pending = this.pending.subarray(9);
        this.state = "header";
        continue;
      }
      if (this.state === "header") {
        if (this.pending.length < this.headerLength) break;
        let header: unknown;
        try {
          header = JSON.parse(this.pending.toString("utf8", 0, this.headerLength));
        } catch {
          throw bad("header is not valid JSON");
        }
        events.push({ type: "header", header });
        this.pending = this.pending.subarray(this.headerLength);
        this.state = "frame";
        continue;
      }
      if (this.state === "frame") {
        if (this.pending.length < 1) break;
        const type = this.pending.readUInt8(0);
        if (type === FRAME_END) {
          this.pending = this.pending.subarray(1);
          if (this.pending.length > 0) throw bad("bytes after the end of the pack");
          this.state = "done";
          events.push({ type: "end" });
          break;
        }
        if (type !== FRAME_OBJECT && type !== FRAME_DELTA) throw bad(`unknown frame type ${type}`);
        const headSize = type === FRAME_OBJECT ? 41 : 81;
        if (this.pending.length < headSize) break;
        const hash = this.pending.toString("hex", 1, 33);
        const base = type === FRAME_DELTA ? this.pending.toString("hex", 33, 65) : null;
        const size = readSize(
          this.pending,
          type === FRAME_OBJECT ? 33 : 65,
          this.limits.maxObjectBytes,
          "object",
        );
        const payloadSize =
          type === FRAME_OBJECT ? size : readSize(this.pending, 73, this.limits.maxObjectBytes, "delta");
        if (++this.objects > this.limits.maxObjects) {
          throw new CaxtonError("E_TOO_LARGE", `more than ${this.limits.maxObjects} objects in one pack`);
        }
        this.pending = this.pending.subarray(headSize);
        events.push({ type: "object", hash, size, base, payloadSize });
        this.remaining = payloadSize;
        if (payloadSize === 0) events.push({ type: "object-end" });
        else this.state = "payload";
        continue;
      }
      break;
    }
    // keep the unparsed tail small and detached from the big chunk it came from
    if (this.pending.length > 0 && this.state !== "payload") this.pending = Buffer.from(this.pending);
    return events;
  }

  /** Call at the end of the body: a pack that stops early is an error. */
  finish(): void {
    if (this.state !== "done") throw bad("the pack ended early (truncated body)");
  }
}

function readSize(buf: Buffer, offset: number, max: number, what: string): number {
  const value = buf.readBigUInt64BE(offset);
  if (value > BigInt(max)) {
    throw new CaxtonError("E_TOO_LARGE", `${what} of ${value} bytes exceeds the limit of ${max} bytes`, {
      detail: { limit: "max_object_bytes", value: max },
    });
  }
  return Number(value);
}

function bad(message: string): CaxtonError {
  return new CaxtonError("E_BAD_REQUEST", `malformed pack: ${message}`);
}
