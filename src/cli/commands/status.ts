/**
 * `caxton status`, as main.ts imports it: the command itself (status-command.ts) loads when it runs, as
 * deploy's does (deploy.ts), so that `caxton --version` and `--help` load none of the client library.
 */
export async function run(argv: string[]): Promise<number> {
  return (await import("./status-command.js")).run(argv);
}
