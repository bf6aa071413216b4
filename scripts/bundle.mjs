// Bundles the CLI into dist/cli/ (ESM, code-split at the dynamic imports), so that starting `caxton` reads
// a handful of files instead of resolving ~80 modules: `caxton --version` 60 -> ~45 ms, a no-change deploy
// ~130 -> ~90 ms on the 2-core machine (measured; see docs/performance.md). Native addons stay external.
import { rmSync } from "node:fs";
import { build } from "esbuild";

// chunk names carry content hashes: start empty so stale chunks never pile up
rmSync("dist/cli", { recursive: true, force: true });

await build({
  entryPoints: { caxton: "dist/src/cli/main.js" },
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  outdir: "dist/cli",
  external: ["better-sqlite3", "zstd-napi"],
  // CommonJS dependencies bundled into ESM need a require()
  banner: {
    js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);',
  },
  sourcemap: true,
  logLevel: "warning",
});
