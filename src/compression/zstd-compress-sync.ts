import binding from "zstd-napi/binding.js";
import { BODY_COMPRESSION_LEVEL } from "./zstd-body-defaults.js";
import { checkBodyLevel } from "./check-body-level.js";
import { zstdContextPool } from "./zstd-context-pool.js";

/** Compresses a small body held in memory (JSON) into one zstd frame with content size and checksum. */
export function zstdCompressSync(data: Uint8Array, level: number = BODY_COMPRESSION_LEVEL): Buffer {
  checkBodyLevel(level);
  const cctx = zstdContextPool.compress.acquire();
  try {
    cctx.setParameter(binding.CParameter.compressionLevel, level);
    cctx.setParameter(binding.CParameter.checksumFlag, 1);
    const out = Buffer.allocUnsafe(binding.compressBound(data.length));
    const written = cctx.compress2(out, data);
    // Copy when the bound wasted much, so a tiny result does not pin a large buffer.
    return written < out.length / 2 ? Buffer.from(out.subarray(0, written)) : out.subarray(0, written);
  } finally {
    zstdContextPool.compress.release(cctx);
  }
}
