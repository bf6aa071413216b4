// Runs every compiled test file under dist/test with Node's test runner, two files at a time (2 cores).
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith(".test.js")) files.push(p);
  }
};
walk("dist/test");
const filter = process.argv.slice(2);
const selected = filter.length ? files.filter((f) => filter.some((x) => f.includes(x))) : files;
const reporter = process.stdout.isTTY ? [] : ["--test-reporter=spec"];
const r = spawnSync(process.execPath, ["--test", "--test-concurrency=2", ...reporter, ...selected], {
  stdio: "inherit",
});
process.exit(r.status ?? 1);
