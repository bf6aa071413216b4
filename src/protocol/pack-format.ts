/**
 * The pack stream: how objects (blobs and trees) travel in one request body.
 *
 *   pack    = magic "CXPK" | version u8 (=1) | header-len u32be | header (UTF-8 JSON) | frame* | end
 *   frame   = 0x01 | hash[32] | size u64be | size bytes                  (whole object)
 *           | 0x02 | hash[32] | base[32] | size u64be | delta-len u64be | delta bytes   (delta, see delta/)
 *   end     = 0x00
 *
 * The same bytes may be wrapped in zstd as a whole (Content-Encoding). Byte layout is fixed here so that
 * encoder and decoder cannot drift; see docs/protocol.md.
 */
export const PACK_MAGIC = Buffer.from("CXPK", "latin1");
export const PACK_VERSION = 1;
export const FRAME_END = 0x00;
export const FRAME_OBJECT = 0x01;
export const FRAME_DELTA = 0x02;
export const PACK_CONTENT_TYPE = "application/vnd.caxton.pack";
export const NEGOTIATE_CONTENT_TYPE = "application/vnd.caxton.negotiate";
export const NEGOTIATE_MAGIC = Buffer.from("CXNG", "latin1");
/** A header larger than this is hostile: it only carries a few fields. */
export const MAX_HEADER_BYTES = 1 << 20;
