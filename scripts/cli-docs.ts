/**
 * `npm run docs`: rewrites the generated sections of docs/cli.md and README.md (the command list, each
 * command's flag table, environment variables, exit codes) from src/cli/command-table.ts, formatted by
 * prettier as the rest of the repository is. `--check` only reports whether they are current (exit 1 when
 * not).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { format, resolveConfig } from "prettier";
import { fillGeneratedSections } from "../src/cli/cli-doc.js";

const repo = resolve(fileURLToPath(import.meta.url), "../../..");

export const GENERATED_DOCS = ["docs/cli.md", "README.md"] as const;

/** A document with generated sections, as it should be. */
export async function renderCliDoc(
  file: (typeof GENERATED_DOCS)[number] = "docs/cli.md",
): Promise<{ path: string; current: string; wanted: string }> {
  const path = join(repo, file);
  const current = readFileSync(path, "utf8");
  const options = (await resolveConfig(path)) ?? {};
  const wanted = await format(fillGeneratedSections(current), { ...options, filepath: path });
  return { path, current, wanted };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let stale = false;
  for (const file of GENERATED_DOCS) {
    const { path, current, wanted } = await renderCliDoc(file);
    if (current === wanted) process.stdout.write(`${file} is current\n`);
    else if (process.argv.includes("--check")) {
      stale = true;
      process.stdout.write(`${file} is stale: run npm run docs\n`);
    } else {
      writeFileSync(path, wanted);
      process.stdout.write(`${file} rewritten\n`);
    }
  }
  process.exit(stale ? 1 : 0);
}
