/** The client's cache of delta bases and the choice of bases, on a temp dir (no server). */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BlobCache } from "../../src/client/blob-cache.js";
import { DeltaPlanner } from "../../src/client/choose-delta.js";
import type { PackObject } from "../../src/client/pack-stream.js";
import { CaxtonError } from "../../src/errors/caxton-error.js";
import { sha256Hex } from "../../src/merkle/sha256.js";
import type { ScanResult } from "../../src/workspace/scan-workspace.js";
import { cleanup, tempDir } from "../support/caxton-process.js";
import { textLike } from "./wire-helpers.js";

const KiB = 1024;
const root = tempDir("caxton-blob-cache-");
after(() => cleanup(root));

let n = 0;
function file(bytes: Buffer): { hash: string; size: number; absPath: string } {
  const absPath = join(root, `f${n++}`);
  writeFileSync(absPath, bytes);
  return { hash: sha256Hex(bytes), size: bytes.length, absPath };
}

describe("blob cache", () => {
  test("keeps files a delta can use, verified, and nothing else", () => {
    const cache = new BlobCache(join(root, "c1"));
    const small = file(textLike(10 * KiB - 1, 1));
    const ok = file(textLike(40 * KiB, 2));
    const huge = { ...file(Buffer.alloc(0)), size: 33 * 1024 * KiB };
    truncateSync(huge.absPath, huge.size); // sparse: never read, refused on its size
    const edited = file(textLike(40 * KiB, 3));
    writeFileSync(edited.absPath, textLike(40 * KiB, 4)); // changed since it was hashed
    cache.store([small, ok, huge, edited]);
    assert.deepEqual(readdirSync(join(root, "c1")), [ok.hash]);
    assert.equal(cache.sizeOf(ok.hash), ok.size);
    assert.ok(cache.read(ok.hash)?.equals(textLike(40 * KiB, 2)));
    assert.equal(cache.read(edited.hash), undefined);
  });

  test("a damaged entry is not used, and is removed", () => {
    const cache = new BlobCache(join(root, "c2"));
    const f = file(textLike(20 * KiB, 5));
    cache.store([f]);
    writeFileSync(join(root, "c2", f.hash), textLike(20 * KiB, 6));
    assert.equal(cache.read(f.hash), undefined);
    assert.equal(cache.sizeOf(f.hash), undefined);
  });

  test("stays within its budget, evicting the least recently used first", () => {
    const dir = join(root, "c3");
    const cache = new BlobCache(dir, 100 * KiB);
    const [a, b, c, d] = [7, 8, 9, 10].map((seed) => file(textLike(30 * KiB, seed)));
    cache.store([a!, b!, c!]);
    const age = (hash: string, secondsAgo: number): void => {
      const t = new Date(Date.now() - secondsAgo * 1000);
      utimesSync(join(dir, hash), t, t);
    };
    age(a!.hash, 30);
    age(b!.hash, 20);
    age(c!.hash, 10);
    assert.ok(cache.read(a!.hash), "reading a makes it the most recently used");
    cache.store([d!]); // 120 KiB > 100 KiB: the least recently used (b) goes
    assert.deepEqual(readdirSync(dir).sort(), [a!.hash, c!.hash, d!.hash].sort());
  });
});

describe("delta planner", () => {
  const cache = new BlobCache(join(root, "c4"));
  const old = file(textLike(64 * KiB, 20));
  cache.store([old]);
  const now = file(textLike(64 * KiB, 21));
  const tiny = file(Buffer.from("small\n"));
  const scan = {
    files: new Map([
      ["big.txt", { path: "big.txt", ...now }],
      ["tiny.txt", { path: "tiny.txt", ...tiny }],
    ]),
  } as unknown as ScanResult;
  const base = new Map([
    ["big.txt", old.hash],
    ["tiny.txt", sha256Hex(Buffer.from("before\n"))],
  ]);
  const objects: PackObject[] = [
    { kind: "blob", path: "big.txt", ...now },
    { kind: "blob", path: "tiny.txt", ...tiny },
  ];

  test("a modified file ≥ 10 KiB whose old content is cached gets that content as its base", () => {
    const planner = new DeltaPlanner(cache, () => base, scan);
    const planned = planner.plan(objects);
    assert.deepEqual(
      planned.map((o) => (o.kind === "blob" ? o.deltaBase : null)),
      [{ hash: old.hash, size: old.size }, undefined],
    );
  });

  test("no cache, a refused object, or a failed delta: everything whole", () => {
    assert.equal(new DeltaPlanner(null, () => base, scan).plan(objects), objects);
    const planner = new DeltaPlanner(cache, () => base, scan);
    planner.refuse([now.hash]);
    assert.equal(
      planner.plan(objects).some((o) => o.kind === "blob" && o.deltaBase),
      false,
    );
    const other = new DeltaPlanner(cache, () => base, scan);
    const failure = new CaxtonError("E_CHECKSUM_MISMATCH", "x", { detail: { delta: true } });
    assert.equal(other.retryWholeAfter(new CaxtonError("E_CHECKSUM_MISMATCH", "not a delta")), false);
    assert.equal(other.retryWholeAfter(failure), true);
    assert.equal(other.retryWholeAfter(failure), false, "only once");
    assert.equal(
      other.plan(objects).some((o) => o.kind === "blob" && o.deltaBase),
      false,
    );
  });
});
