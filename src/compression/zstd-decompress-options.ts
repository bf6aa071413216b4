export interface ZstdDecompressOptions {
  /** Hard limit on decompressed bytes; one byte more fails with E_TOO_LARGE naming this limit. */
  maxOutputBytes: number;
  /** Largest zstd window accepted, as log2 (default BODY_WINDOW_LOG_MAX = 23, i.e. 8 MiB). */
  windowLogMax?: number;
}
