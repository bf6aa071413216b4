/**
 * The entry point. When a file-system monitor runs for the command's workspace and can run the command,
 * this process only forwards it there (forward-command.ts): the monitor has Node started and the CLI
 * loaded already. Otherwise the command runs here (run-cli.ts, which prints errors and picks exit codes).
 * Nothing else is imported up front, so a forwarded command loads only the forwarder.
 */
import { forwardToMonitor } from "./forward-command.js";

// a closed pipe (`caxton log | head -1`) ends the command quietly, as it ends cat or git
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
}

const argv = process.argv.slice(2);
process.exitCode = await forwardToMonitor(argv).then(
  async (code) => code ?? (await import("./run-cli.js")).runCli(argv),
  async (err: unknown) => (await import("./run-cli.js")).reportError(err, argv.includes("--json")),
);
