/**
 * Validation proportional to the change, measured: validating a one-agent change costs the same on a 10-agent and a 10,000-agent
 * workspace, because the server caches each file's analysis by checksum and the client checks only the
 * changed files. Real processes (`caxton serve`, `caxton deploy --json`), temp dirs, bounded runs.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CAXTON, startServe } from "../support/caxton-serve.js";
import { trackChild } from "./child-processes.js";
import { sampleStats } from "./sample-stats.js";

export interface ValidationRow {
  agents: number;
  /** median over the runs, the server's validation of the whole workspace after a one-agent change */
  server_validation_ms: number;
  /** median wall time of the whole `caxton deploy` process for the one-agent change */
  deploy_ms: number;
  runs: number;
}

function agentToml(i: number, version: string): string {
  return `name = "agent-${i}"
version = "${version}"
capabilities = ["task_${i % 7}"]
system_prompt = "You are agent ${i}."
user_prompt_template = "Task: {task}"

[tools]
available = ["read_file", "mcp__git__git_log"]
`;
}

/** The median of the runs (sample-stats.ts), 0 for none. */
function median(xs: number[]): number {
  return sampleStats(xs)?.median ?? 0;
}

export async function runValidationScaling(
  options: { sizes?: number[]; runs?: number; log?: (s: string) => void } = {},
): Promise<ValidationRow[]> {
  const sizes = options.sizes ?? [10, 10_000];
  const runs = options.runs ?? 5;
  const rows: ValidationRow[] = [];
  for (const n of sizes) {
    const root = mkdtempSync(join(tmpdir(), "caxton-valbench-"));
    const ws = join(root, "ws");
    mkdirSync(join(ws, "agents"), { recursive: true });
    mkdirSync(join(ws, "tools"), { recursive: true });
    writeFileSync(join(ws, "tools", "mcp_servers.toml"), '[servers.git]\ncommand = "mcp-server-git"\n');
    for (let i = 0; i < n; i++) writeFileSync(join(ws, "agents", `agent-${i}.toml`), agentToml(i, "1.0.0"));
    const server = await startServe({ dataDir: join(root, "data"), quiet: true, onSpawn: trackChild });
    const env = { ...process.env, CAXTON_STATE_DIR: join(root, "state"), CAXTON_SERVER: "" };
    try {
      const deploy = (): { server_validation_ms: number; ms: number } => {
        const t0 = performance.now();
        const r = spawnSync(process.execPath, [CAXTON, "deploy", ws, "--server", server.url, "--json"], {
          env,
          encoding: "utf8",
          timeout: 120_000,
          maxBuffer: 512 * 1024 * 1024,
        });
        const ms = performance.now() - t0;
        if (r.status !== 0) throw new Error(`deploy failed (${r.status}): ${r.stderr.slice(0, 2000)}`);
        const out = JSON.parse(r.stdout) as { phases: { server_validation_ms: number } };
        return { server_validation_ms: out.phases.server_validation_ms, ms };
      };
      deploy(); // first deploy: every file is parsed once and cached
      const validation: number[] = [];
      const wall: number[] = [];
      for (let k = 0; k <= runs; k++) {
        writeFileSync(join(ws, "agents", "agent-0.toml"), agentToml(0, `1.0.${k + 1}`));
        const m = deploy();
        if (k === 0) continue; // warm-up
        validation.push(m.server_validation_ms);
        wall.push(m.ms);
      }
      rows.push({
        agents: n,
        server_validation_ms: median(validation),
        deploy_ms: Math.round(median(wall)),
        runs,
      });
      options.log?.(`validation scaling: ${n} agents done`);
    } finally {
      await server.stop();
      rmSync(root, { recursive: true, force: true });
    }
  }
  return rows;
}

export function formatValidationTable(rows: ValidationRow[]): string {
  const lines = [
    "| agents in workspace | server validation of a one-agent change (median) | whole `caxton deploy` (median) | runs |",
    "| --: | --: | --: | --: |",
    ...rows.map(
      (r) => `| ${r.agents} | ${r.server_validation_ms.toFixed(2)} ms | ${r.deploy_ms} ms | ${r.runs} |`,
    ),
  ];
  return lines.join("\n");
}
