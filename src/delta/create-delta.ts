import binding from "zstd-napi/binding.js";
import { deltaDictionary } from "./delta-dictionary.js";
import { DELTA_MAX_BYTES } from "./delta-limits.js";
import { deltaWindowLog } from "./delta-window-log.js";

/**
 * Level 2 ("fast" strategy) rather than zstd's default 3 ("dfast"): with long-distance matching doing the
 * long-range work, 20 MiB of pseudo-random data with 10 scattered 20-byte edits gave 2 532 B at levels 1-2 but
 * 32 480 B at levels 3-4 (2 518 B at 5-9, 2 023 B at 19 in 7 s). On text-like data levels 1-9 were within 1%
 * (5 MB text, 30% rewritten: 16 075 B at 2, 15 376 B at 3). Level 2 took 24-29 ms for 20 MiB.
 */
export const DELTA_COMPRESSION_LEVEL = 2;

/**
 * ZSTD_c_forceAttachDict (experimental, not in zstd-napi's parameter names), value ZSTD_dictForceLoad: load
 * the dictionary into the working tables instead of attaching the small prepared ones. Without it a 20 MiB file
 * with 10 edits gave a 20.4 MB delta on random data and 5.5 MB on text-like data, instead of 2.5 KB.
 */
const ZSTD_C_FORCE_ATTACH_DICT = 1001 as binding.CParameter;
const ZSTD_DICT_FORCE_LOAD = 3;

/**
 * One context for the whole process, reset after each delta. A fresh CCtx per call keeps its native memory
 * (dictionary copy and tables, invisible to V8) until a GC that may not come: 12 deltas of 20 MiB grew RSS
 * from 120 MB to 404 MB with fresh contexts, and stayed at 120 MB with one reused context.
 */
let sharedCctx: binding.CCtx | undefined;

/**
 * A delta that rebuilds `target` from `base`: one zstd frame compressed with `base` as a raw-content dictionary
 * ("patch-from"), carrying its content size and a checksum so that `applyDelta` against a wrong base fails
 * instead of producing wrong bytes. Both inputs must be at most DELTA_MAX_BYTES (check `isDeltaEligible`).
 */
export function createDelta(base: Uint8Array, target: Uint8Array): Buffer {
  if (base.length > DELTA_MAX_BYTES || target.length > DELTA_MAX_BYTES) {
    throw new RangeError(
      `createDelta: base (${base.length} B) and target (${target.length} B) must be at most ${DELTA_MAX_BYTES} B`,
    );
  }
  sharedCctx ??= new binding.CCtx();
  const cctx = sharedCctx;
  try {
    const P = binding.CParameter;
    cctx.setParameter(P.compressionLevel, DELTA_COMPRESSION_LEVEL);
    cctx.setParameter(P.windowLog, deltaWindowLog(base.length, target.length));
    cctx.setParameter(P.enableLongDistanceMatching, 1);
    cctx.setParameter(P.checksumFlag, 1);
    cctx.setParameter(P.contentSizeFlag, 1);
    cctx.setParameter(ZSTD_C_FORCE_ATTACH_DICT, ZSTD_DICT_FORCE_LOAD);
    cctx.loadDictionary(deltaDictionary(base));
    // compressBound(target) is reserved but only the written pages become resident.
    const out = Buffer.allocUnsafe(binding.compressBound(target.length));
    const written = cctx.compress2(out, target);
    return Buffer.from(out.subarray(0, written));
  } finally {
    // Drops the dictionary copy (measured: RSS back to +12 MB after a 32 MiB delta) and the parameters.
    cctx.reset(binding.ResetDirective.sessionAndParameters);
  }
}
