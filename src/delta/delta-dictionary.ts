import binding from "zstd-napi/binding.js";

/**
 * The raw-content dictionary for a base: the base itself, minus any leading zstd dictionary magic numbers.
 *
 * Why: zstd-napi loads dictionaries in "auto" mode, where a buffer starting with 0xEC30A437 (little-endian) is
 * parsed as a trained zstd dictionary instead of raw content. A base file that happens to start with those bytes
 * made compression fail ("Allocation error : not enough memory", measured). Dropping the 4 magic bytes is
 * deterministic on both sides, copies nothing, and costs only those bytes as match source.
 */
export function deltaDictionary(base: Uint8Array): Uint8Array {
  let dict = base;
  while (dict.length >= 4 && readUint32LE(dict) === binding.MAGIC_DICTIONARY) dict = dict.subarray(4);
  return dict;
}

function readUint32LE(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
}
