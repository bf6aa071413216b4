/** `--json` output: one JSON object on one line, for every command, on success and on failure. */
export function writeJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
