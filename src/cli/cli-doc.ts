/**
 * The generated parts of docs/cli.md, from the same tables the parser, help and completion use: the
 * command list, each command's synopsis, description and flag table, the environment variables and the
 * exit codes. `npm run docs` rewrites them between `<!-- generated:KEY -->` and `<!-- /generated:KEY -->`;
 * a test checks that the committed document equals what this produces.
 */
import { EXIT_CODES } from "../errors/error-codes.js";
import { COMMANDS, COMMON_FLAGS, ENVIRONMENT, type CommandSpec, type FlagSpec } from "./command-table.js";
import { flagSynopsis } from "./command-help.js";

const cell = (text: string): string => text.replace(/\|/g, "\\|");

function table(head: [string, string], rows: [string, string][]): string {
  return [
    `| ${head[0]} | ${head[1]} |`,
    "| --- | --- |",
    ...rows.map(([a, b]) => `| ${cell(a)} | ${cell(b)} |`),
  ].join("\n");
}

function commandSection(name: string, spec: CommandSpec): string {
  const flags = Object.entries({ ...spec.flags, ...COMMON_FLAGS }) as [string, FlagSpec][];
  return [
    `## \`caxton ${name}${spec.args ? ` ${spec.args}` : ""}\``,
    "",
    spec.about,
    "",
    table(
      ["flag", "meaning"],
      flags.map(([flag, f]) => [`\`${flagSynopsis(flag, f)}\``, f.help]),
    ),
  ].join("\n");
}

/** Every generated section by its key. */
export function generatedSections(): Map<string, string> {
  const sections = new Map<string, string>();
  sections.set(
    "commands",
    table(
      ["command", "what it does"],
      Object.entries(COMMANDS).map(([name, c]) => [
        `\`caxton ${name}${c.args ? ` ${c.args}` : ""}\``,
        c.summary,
      ]),
    ),
  );
  for (const [name, spec] of Object.entries(COMMANDS))
    sections.set(`command ${name}`, commandSection(name, spec));
  sections.set(
    "flags-summary",
    table(
      ["command", "flags (all commands take -h, --help)"],
      Object.entries(COMMANDS).map(([name, c]) => [
        `\`caxton ${name}${c.args ? ` ${c.args}` : ""}\``,
        (Object.entries(c.flags) as [string, FlagSpec][])
          .map(([f, spec]) => `\`${flagSynopsis(f, spec)}\``)
          .join(", ") || "—",
      ]),
    ),
  );
  sections.set(
    "environment",
    table(
      ["variable", "meaning"],
      ENVIRONMENT.map(([v, what]) => [`\`${v}\``, what]),
    ),
  );
  sections.set(
    "exit-codes",
    table(
      ["code", "meaning"],
      EXIT_CODES.map(([code, what]) => [String(code), what]),
    ),
  );
  return sections;
}

/** The keys of the generated sections a document holds (between its markers). */
export function sectionKeys(markdown: string): string[] {
  return [...markdown.matchAll(/<!-- generated:([^>]+?) -->/g)].map((m) => m[1] ?? "");
}

/** The document with each generated section it holds rewritten; an unknown or unclosed one is an error. */
export function fillGeneratedSections(markdown: string): string {
  const sections = generatedSections();
  let out = markdown;
  for (const key of sectionKeys(markdown)) {
    const body = sections.get(key);
    const open = `<!-- generated:${key} -->`;
    const close = `<!-- /generated:${key} -->`;
    const start = out.indexOf(open);
    const end = out.indexOf(close);
    if (body === undefined || start < 0 || end < start) throw new Error(`bad generated section ${open}`);
    out = `${out.slice(0, start + open.length)}\n\n${body}\n\n${out.slice(end)}`;
  }
  return out;
}
