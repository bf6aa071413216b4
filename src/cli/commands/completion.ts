/** `caxton completion bash|zsh|fish`: prints the shell's completion script (completion-script.ts). */
import { CaxtonError } from "../../errors/caxton-error.js";
import { closestMatch } from "../../config/did-you-mean.js";
import { COMMANDS } from "../command-table.js";
import { completionScript, SHELLS, type Shell } from "../completion-script.js";
import { parseCommand } from "../parse-args.js";

export async function run(argv: string[]): Promise<number> {
  const { positionals } = parseCommand("completion", COMMANDS.completion, argv);
  const [shell] = positionals;
  if (!SHELLS.includes(shell as Shell)) {
    const close = shell ? closestMatch(shell, SHELLS) : undefined;
    throw new CaxtonError(
      "E_USAGE",
      shell ? `no completion for the shell ${JSON.stringify(shell)}` : "which shell?",
      {
        hint: close
          ? `did you mean \`caxton completion ${close}\`?`
          : "usage: caxton completion bash|zsh|fish",
      },
    );
  }
  process.stdout.write(completionScript(shell as Shell));
  return 0;
}
