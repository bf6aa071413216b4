/**
 * `npm run docs`: rewrites the generated sections of docs/cli.md (the command list, each command's flag
 * table, environment variables, exit codes) from src/cli/command-table.ts, formatted by prettier as the
 * rest of the repository is. `--check` only reports whether the file is current (exit 1 when not).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { format, resolveConfig } from "prettier";
import { fillGeneratedSections } from "../src/cli/cli-doc.js";

const repo = resolve(fileURLToPath(import.meta.url), "../../..");

/** docs/cli.md as it should be. */
export async function renderCliDoc(): Promise<{ path: string; current: string; wanted: string }> {
  const path = join(repo, "docs", "cli.md");
  const current = readFileSync(path, "utf8");
  const options = (await resolveConfig(path)) ?? {};
  const wanted = await format(fillGeneratedSections(current), { ...options, filepath: path });
  return { path, current, wanted };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { path, current, wanted } = await renderCliDoc();
  if (process.argv.includes("--check")) {
    process.stdout.write(
      current === wanted ? "docs/cli.md is current\n" : "docs/cli.md is stale: run npm run docs\n",
    );
    process.exit(current === wanted ? 0 : 1);
  }
  if (current !== wanted) writeFileSync(path, wanted);
  process.stdout.write(current === wanted ? "docs/cli.md is current\n" : "docs/cli.md rewritten\n");
}
