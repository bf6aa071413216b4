/**
 * `npm run demo`: the main job on an embedded default. Starts `caxton serve` on a temp data dir and a free
 * loopback port, scaffolds a workspace, deploys it, edits one agent, deploys again (incremental: one round
 * trip, one file), shows `status`, a rejected deploy that applies nothing, and the live tree on the server.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CAXTON, startServe } from "../support/caxton-serve.js";

const root = mkdtempSync(join(tmpdir(), "caxton-demo-"));
const env = { ...process.env, CAXTON_STATE_DIR: join(root, "state"), CAXTON_SERVER: "" };

function step(title: string): void {
  process.stdout.write(`\n\x1b[1m▶ ${title}\x1b[0m\n`);
}

function cli(...args: string[]): number {
  process.stdout.write(`$ caxton ${args.join(" ")}\n`);
  const r = spawnSync(process.execPath, [CAXTON, ...args], { env, stdio: "inherit" });
  return r.status ?? 1;
}

async function main(): Promise<void> {
  const dataDir = join(root, "data");
  const ws = join(root, "workspace");
  step("Start the server on a free loopback port");
  const server = await startServe({ dataDir, env, quiet: true, stderr: "inherit" });
  const url = server.url;
  process.stdout.write(`listening on ${url} (data dir ${dataDir})\n`);
  try {
    step("Scaffold an example workspace");
    cli("init", ws, "--server", url);
    step("First deploy: everything is sent");
    cli("deploy", ws);
    step("Deploy again with no change: one round trip, nothing sent");
    cli("deploy", ws);
    step("Edit one agent");
    const agent = join(ws, "agents", "coordinator.toml");
    writeFileSync(agent, readFileSync(agent, "utf8").replace('version = "1.0.0"', 'version = "1.1.0"'));
    process.stdout.write(`(bumped coordinator to 1.1.0)\n`);
    step("Status, offline, from the local cache");
    cli("status", ws);
    step("Incremental deploy: only the changed agent travels");
    cli("deploy", ws);
    step("A broken agent file is rejected, and nothing is applied");
    writeFileSync(join(ws, "agents", "broken.toml"), 'name = "broken"\nversion = \n');
    const code = cli("deploy", ws);
    process.stdout.write(`(exit code ${code})\n`);
    rmSync(join(ws, "agents", "broken.toml"));
    step("The live configuration on the server, as plain files");
    process.stdout.write(
      `${dataDir}/current -> ${spawnSync("readlink", [join(dataDir, "current")]).stdout.toString()}`,
    );
    process.stdout.write(
      readFileSync(join(dataDir, "current", "agents", "coordinator.toml"), "utf8")
        .split("\n")
        .slice(0, 3)
        .join("\n") + "\n",
    );
  } finally {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
  process.stdout.write("\nDemo done. The server was stopped and its temp data dir removed.\n");
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
