/**
 * Shell completion scripts for bash, zsh and fish, generated from command-table.ts: commands, each
 * command's flags (and which take a value), and what its positional arguments are (folders, files, ...).
 */
import { COMMANDS, COMMON_FLAGS, type CommandSpec, type FlagSpec } from "./command-table.js";

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

type Entry = [string, CommandSpec];
const entries = (): Entry[] => Object.entries(COMMANDS) as Entry[];
const flagsOf = (spec: CommandSpec): [string, FlagSpec][] =>
  Object.entries({ ...spec.flags, ...COMMON_FLAGS }) as [string, FlagSpec][];
const long = (flag: string): string => (flag.length === 1 ? `-${flag}` : `--${flag}`);

export function completionScript(shell: Shell): string {
  return shell === "bash" ? bash() : shell === "zsh" ? zsh() : fish();
}

function positionalWords(spec: CommandSpec): string {
  switch (spec.complete) {
    case "command":
      return Object.keys(COMMANDS).join(" ");
    case "shell":
      return SHELLS.join(" ");
    case "subcommand":
      return (spec.subcommands ?? []).join(" ");
    default:
      return "";
  }
}

function bash(): string {
  const cases = entries().map(([name, spec]) => {
    const flags = flagsOf(spec).flatMap(([f, s]) => [
      long(f),
      ...(s.short && s.short !== f ? [`-${s.short}`] : []),
    ]);
    const valued = flagsOf(spec)
      .filter(([, s]) => s.type === "string")
      .flatMap(([f, s]) => [long(f), ...(s.short && s.short !== f ? [`-${s.short}`] : [])]);
    const words = positionalWords(spec);
    const positional =
      spec.complete === "dir"
        ? `COMPREPLY=( $(compgen -d -- "$cur") )`
        : spec.complete === "file"
          ? `COMPREPLY=( $(compgen -f -- "$cur") )`
          : words
            ? `COMPREPLY=( $(compgen -W "${words}" -- "$cur") )`
            : "COMPREPLY=()";
    return `    ${name}) flags="${flags.join(" ")}"; valued=" ${valued.join(" ")} "; positional='${positional}' ;;`;
  });
  return `# bash completion for caxton: source <(caxton completion bash)
_caxton() {
  local cur prev cmd flags valued positional
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${Object.keys(COMMANDS).join(" ")} --help --version" -- "$cur") )
    return
  fi
  cmd="\${COMP_WORDS[1]}"
  case "$cmd" in
${cases.join("\n")}
    *) COMPREPLY=(); return ;;
  esac
  case "$valued" in
    *" $prev "*) COMPREPLY=( $(compgen -f -- "$cur") ); return ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "$flags" -- "$cur") )
  else
    eval "$positional"
  fi
}
complete -o filenames -F _caxton caxton
`;
}

/** Text for zsh's _arguments/_describe: no brackets, colons or quotes. */
const zshText = (s: string): string =>
  s
    .replace(/[[\]]/g, "")
    .replace(/:/g, " -")
    .replace(/['`$\\]/g, "");

function zsh(): string {
  const described = entries()
    .map(([name, spec]) => `    '${name}:${zshText(spec.summary)}'`)
    .join("\n");
  const cases = entries().map(([name, spec]) => {
    const withBraces = flagsOf(spec).map(([f, s]) => {
      const names = s.short && s.short !== f ? `{-${s.short},${long(f)}}` : long(f);
      const value = s.type === "string" ? `:${zshText(s.value ?? "value")}:_files` : "";
      return `${names}'[${zshText(s.help)}]${value}'`;
    });
    const words = positionalWords(spec);
    const positional =
      spec.complete === "dir"
        ? `'*:folder:_files -/'`
        : spec.complete === "file"
          ? `'*:file:_files'`
          : words
            ? `'*:argument:(${words})'`
            : "";
    return `    ${name}) _arguments ${[...withBraces, positional].filter(Boolean).join(" ")} ;;`;
  });
  return `#compdef caxton
# zsh completion for caxton: caxton completion zsh > "\${fpath[1]}/_caxton"
_caxton() {
  local -a commands
  commands=(
${described}
  )
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  shift words
  (( CURRENT-- ))
  case "\${words[1]}" in
${cases.join("\n")}
  esac
}
_caxton "$@"
`;
}

const fishText = (s: string): string => s.replace(/'/g, "\\'");

function fish(): string {
  const lines = [
    "# fish completion for caxton: caxton completion fish > ~/.config/fish/completions/caxton.fish",
  ];
  lines.push("complete -c caxton -f");
  for (const [name, spec] of entries()) {
    lines.push(`complete -c caxton -n __fish_use_subcommand -a ${name} -d '${fishText(spec.summary)}'`);
  }
  for (const [name, spec] of entries()) {
    const when = `-n '__fish_seen_subcommand_from ${name}'`;
    for (const [f, s] of flagsOf(spec)) {
      const names = `${f.length === 1 ? `-s ${f}` : `-l ${f}`}${s.short && s.short !== f ? ` -s ${s.short}` : ""}`;
      lines.push(
        `complete -c caxton ${when} ${names}${s.type === "string" ? " -r -F" : ""} -d '${fishText(s.help)}'`,
      );
    }
    const words = positionalWords(spec);
    if (spec.complete === "dir") lines.push(`complete -c caxton ${when} -a '(__fish_complete_directories)'`);
    else if (spec.complete === "file") lines.push(`complete -c caxton ${when} -F`);
    else if (words) lines.push(`complete -c caxton ${when} -a '${words}'`);
  }
  return `${lines.join("\n")}\n`;
}
