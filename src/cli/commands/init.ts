/** `caxton init [DIR] [--force]`: writes an example workspace. */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { CaxtonError } from "../../errors/caxton-error.js";
import { exampleWorkspace } from "../../scaffold/example-workspace.js";
import { parseCommand } from "../parse-args.js";
import { COMMANDS } from "../command-table.js";
import { DEFAULT_SERVER, serverUrl } from "../resolve-target.js";

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand("init", COMMANDS.init, argv);
  const dir = resolve(positionals[0] ?? ".");
  if (existsSync(dir) && readdirSync(dir).length > 0 && !values.force) {
    throw new CaxtonError("E_WORKSPACE", `${dir} is not empty`, {
      hint: "choose an empty folder, or pass --force",
    });
  }
  const server = values.server ? serverUrl(values.server, null) : DEFAULT_SERVER;
  const files = exampleWorkspace(server);
  for (const [path, content] of Object.entries(files)) {
    const target = join(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  process.stdout.write(
    `Created a workspace with ${Object.keys(files).length} files in ${dir}\nNext: caxton serve --data-dir DATA & then caxton deploy ${positionals[0] ?? "."}\n`,
  );
  return 0;
}
