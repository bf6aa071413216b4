/** The help of a command, rendered from its entry in command-table.ts (so it lists exactly what parses). */
import { COMMANDS, COMMON_FLAGS, ENVIRONMENT, type CommandSpec, type FlagSpec } from "./command-table.js";
import { VERSION } from "../version.js";

const WIDTH = 100;

export function commandHelp(name: string, spec: CommandSpec): string {
  const flags = Object.entries({ ...spec.flags, ...COMMON_FLAGS }) as [string, FlagSpec][];
  const lefts = flags.map(([flag, f]) => flagSynopsis(flag, f));
  const pad = Math.min(28, Math.max(...lefts.map((l) => l.length)) + 2);
  const lines = [
    `usage: caxton ${name}${spec.args ? ` ${spec.args}` : ""}${flags.length > 1 ? " [options]" : ""}`,
    "",
    ...wrap(spec.about, WIDTH),
    "",
  ];
  flags.forEach(([, f], i) => {
    const left = lefts[i] ?? "";
    const body = wrap(f.help, WIDTH - pad - 2);
    if (left.length + 2 > pad) {
      lines.push(`  ${left}`);
      for (const l of body) lines.push(`  ${" ".repeat(pad)}${l}`);
    } else {
      body.forEach((l, j) => lines.push(`  ${(j === 0 ? left : "").padEnd(pad)}${l}`));
    }
  });
  return `${lines.join("\n")}\n`;
}

/** `-m, --message TEXT` */
export function flagSynopsis(flag: string, f: FlagSpec): string {
  const long = flag.length === 1 ? `-${flag}` : `--${flag}`;
  const names = f.short && f.short !== flag ? `-${f.short}, ${long}` : long;
  return f.type === "string" ? `${names} ${f.value ?? "VALUE"}` : names;
}

export function overallHelp(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length)) + 2;
  return `caxton ${VERSION} — incremental, atomic deployment of Caxton agent workspaces

usage: caxton <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(width)} ${c.summary}`)
  .join("\n")}

Run \`caxton help <command>\` or \`caxton <command> --help\` for a command's options.
Environment:
${ENVIRONMENT.map(([name, what]) => `  ${name}: ${what}`).join("\n")}
Exit codes: see \`docs/cli.md\`; 0 success, 1 rejected (nothing applied) or differences (diff),
            2 usage or workspace error, 3 server unreachable or protocol error, 4 not authorized,
            5 no such deployment, agent or file.
`;
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}
