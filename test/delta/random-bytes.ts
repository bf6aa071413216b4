/** Deterministic pseudo-random bytes (xorshift32): fast enough for 20 MiB fixtures, reproducible by seed. */
export function pseudoRandomBytes(length: number, seed: number): Buffer {
  let s = seed >>> 0 || 1;
  const out = Buffer.alloc(length);
  const words = Math.floor(length / 4);
  for (let i = 0; i < words; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out.writeUInt32LE(s, i * 4);
  }
  for (let i = words * 4; i < length; i++) out[i] = (i * 131 + seed) & 0xff;
  return out;
}

/** Text-like bytes (a small vocabulary with numbers), compressible like source and config files. */
export function textLikeBytes(length: number, seed: number): Buffer {
  const words = ["agent", "tool", "server", "name", "=", "\n", "{", "}", "coordinator", "researcher", "mcp"];
  const rnd = pseudoRandomBytes(Math.ceil(length / 2) + 16, seed);
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < length; i = (i + 2) % (rnd.length - 1)) {
    const a = rnd[i] ?? 0;
    const b = rnd[i + 1] ?? 0;
    const word = `${words[a % words.length] ?? ""}${a % 3 === 0 ? String(b) : ""} `;
    parts.push(word);
    size += word.length;
  }
  return Buffer.from(parts.join("")).subarray(0, length);
}

/** `count` edits of `width` random bytes at pseudo-random offsets, on a copy. */
export function scatterEdits(base: Uint8Array, count: number, width: number, seed: number): Buffer {
  const target = Buffer.from(base);
  const rnd = pseudoRandomBytes(count * (4 + width), seed);
  for (let e = 0; e < count; e++) {
    const at = rnd.readUInt32LE(e * (4 + width)) % Math.max(1, target.length - width);
    rnd.copy(target, at, e * (4 + width) + 4, (e + 1) * (4 + width));
  }
  return target;
}
