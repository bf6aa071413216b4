/**
 * Defaults for zstd-compressed HTTP bodies (Content-Encoding: zstd).
 *
 * Level 3 is zstd's default. Levels 1-19 use a window of at most 2^23 bytes when the input size is unknown
 * (zstd 1.5.7 clevels.h), which is what a streaming compressor sees; level 3 uses 2^21.
 */
export const BODY_COMPRESSION_LEVEL = 3;

/** The highest level whose frames our decoder accepts by default (windowLog 23, see BODY_WINDOW_LOG_MAX). */
export const BODY_MAX_COMPRESSION_LEVEL = 19;

/**
 * The decoder refuses frames whose window exceeds 2^23 = 8 MiB: zstd's streaming decoder allocates the window a
 * frame header declares (zstd's own default limit is 2^27 = 128 MiB), so without this a 20-byte body could make
 * the server allocate 128 MiB per request.
 */
export const BODY_WINDOW_LOG_MAX = 23;

/** Output chunk size: zstd's recommended streaming output size (ZSTD_DStreamOutSize, one block, 128 KiB). */
export const BODY_CHUNK_BYTES = 128 * 1024;
