/**
 * `caxton deploy`, as main.ts imports it: the command itself (deploy-command.ts) and the client library
 * behind it load when the command runs, so `caxton --version`, `--help` and every other command load none of
 * it (node:http, node:crypto, better-sqlite3 and ~25 modules: `caxton --version` 81 -> 44 ms).
 */
export async function run(argv: string[]): Promise<number> {
  return (await import("./deploy-command.js")).run(argv);
}
