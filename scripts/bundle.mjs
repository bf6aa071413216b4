// Bundles the CLI into dist/cli/ (ESM; native addons stay external), in two parts:
// - caxton.js, the entry, one file: what a command the file-system monitor runs for it loads, and all it
//   loads (src/cli/forward-command.ts). One file rather than chunks: its ~9 modules as one file cost
//   fewer instructions to load (measured with callgrind, see the commit that made it one file).
// - run-cli.js and its chunks, code-split at the dynamic imports, for a command that runs in this process:
//   starting `caxton` reads a handful of files instead of resolving ~80 modules (`caxton --version`
//   60 -> ~45 ms, a no-change deploy ~130 -> ~90 ms on the 2-core machine when it was split).
// Both parts carry one build id, so a monitor started from another build declines to run commands for this
// one (src/client/hosted-command.ts).
import { randomUUID } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { build } from "esbuild";

// chunk names carry content hashes: start empty so stale chunks never pile up
rmSync("dist/cli", { recursive: true, force: true });

const common = {
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  define: { __CAXTON_BUILD__: JSON.stringify(randomUUID()) },
  // CommonJS dependencies bundled into ESM need a require()
  banner: {
    js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);',
  },
  sourcemap: true,
  logLevel: "warning",
};
await build({
  ...common,
  entryPoints: { "run-cli": "dist/src/cli/run-cli.js" },
  splitting: true,
  outdir: "dist/cli",
  external: ["better-sqlite3", "zstd-napi"],
});
await build({
  ...common,
  entryPoints: { caxton: "dist/src/cli/main.js" },
  outdir: "dist/cli",
  external: ["better-sqlite3", "zstd-napi", "./run-cli.js"],
});

// The dashboard (src/dashboard/): one script and one style sheet with content hashes in their names, so the
// server can mark them immutable; index.html (served no-cache) is the template with those names filled in.
rmSync("dist/dashboard", { recursive: true, force: true });
const dashboard = await build({
  entryPoints: { app: "src/dashboard/main.ts", style: "src/dashboard/style.css" },
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["chrome111", "firefox115", "safari16"],
  outdir: "dist/dashboard/assets",
  entryNames: "[name]-[hash]",
  minify: true,
  sourcemap: "linked",
  metafile: true,
  logLevel: "warning",
});
const names = {};
for (const [file, output] of Object.entries(dashboard.metafile.outputs)) {
  if (!output.entryPoint || file.endsWith(".map")) continue;
  const key = output.entryPoint.endsWith(".css") ? "style.css" : "app.js";
  names[key] = `/assets/${file.split("/").pop()}`;
}
const html = readFileSync("src/dashboard/index.html", "utf8").replace(
  /\{\{(app\.js|style\.css)\}\}/g,
  (_, key) => {
    if (!names[key]) throw new Error(`dashboard bundle: no output for ${key}`);
    return names[key];
  },
);
writeFileSync("dist/dashboard/index.html", html);
