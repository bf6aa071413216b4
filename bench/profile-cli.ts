/**
 * `npm run bench -- --profile [--sizes M,L,XL]`: where the time goes in the slowest scenarios. The client
 * runs under `node --cpu-prof` (one profile per command); the server runs under `--cpu-prof` for the whole
 * session and its samples are cut to each request's time window (V8 stamps samples with the monotonic
 * clock that process.hrtime reads). Prints the summaries as markdown and keeps the raw .cpuprofile files
 * (loadable in Chrome DevTools) in bench/results/profile-<timestamp>/.
 */
import { measuredEnv } from "./measured-env.js";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { startServe } from "../support/caxton-serve.js";
import { trackChild } from "./child-processes.js";
import { generateWorkspace, SIZES, type SizeName } from "./generate-workspace.js";
import { assertSuccess, measureProcess } from "./measure-process.js";
import { editAgent, editOneLine, pickAgents } from "./mutate-workspace.js";
import { readCpuProfile, renderProfileSummary, summarizeCpuProfile } from "./summarize-cpu-profile.js";

export interface ProfileOptions {
  caxton: string;
  root: string;
  sizes: SizeName[];
  seed: number;
  resultsDir: string;
  log: (line: string) => void;
}

interface Step {
  id: string;
  label: string;
  applies: boolean;
  before: () => void;
  command: "deploy" | "status";
  /** unprofiled runs first, so caches on both sides are in their steady state */
  warmups: number;
}

const PROFILE_FLAGS = ["--cpu-prof-interval", "250"];

export async function profileScenarios(opts: ProfileOptions): Promise<void> {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const outDir = join(opts.resultsDir, `profile-${stamp}`);
  mkdirSync(outDir, { recursive: true });
  const repo = resolve(opts.caxton, "../..");
  const report: string[] = [`## CPU profiles (${new Date().toISOString()})`, ""];
  for (const name of opts.sizes) {
    const dir = join(opts.root, name);
    const ws = generateWorkspace(join(dir, "ws"), SIZES[name], opts.seed);
    opts.log(`${name}: ${ws.files} files generated; profiling`);
    const stateDir = join(dir, "state");
    const env = measuredEnv({ NO_COLOR: "1", CAXTON_STATE_DIR: stateDir, CAXTON_SERVER: "" });
    const serverProfiles = join(outDir, `${name}-server`);
    const server = await startServe({
      caxton: opts.caxton,
      dataDir: join(dir, "data"),
      env,
      quiet: true,
      nodeFlags: ["--cpu-prof", "--cpu-prof-dir", serverProfiles, ...PROFILE_FLAGS],
      onSpawn: trackChild,
    });
    const windows: { label: string; fromUs: number; toUs: number }[] = [];
    const sections: string[] = [];
    try {
      const steps: Step[] = [
        {
          id: "first-deploy",
          label: "first deploy",
          applies: true,
          before: () => undefined,
          command: "deploy",
          warmups: 0,
        },
        {
          id: "no-change",
          label: "no change",
          applies: true,
          before: () => undefined,
          command: "deploy",
          warmups: 1,
        },
        {
          id: "one-agent",
          label: "one agent changed",
          applies: true,
          before: () => editAgent(ws, pickAgents(ws, 1)[0] as string),
          command: "deploy",
          warmups: 1,
        },
        {
          id: "fifty-agents",
          label: "50 agents changed",
          applies: ws.agents.length >= 100,
          before: () => pickAgents(ws, 50).forEach((a) => editAgent(ws, a)),
          command: "deploy",
          warmups: 1,
        },
        {
          id: "edit-1mb",
          label: "one-line edit in a 1 MiB file",
          applies: ws.largeFile !== null,
          before: () => editOneLine(ws, ws.largeFile as string),
          command: "deploy",
          warmups: 1,
        },
        {
          id: "status",
          label: "`status` offline",
          applies: true,
          before: () => undefined,
          command: "status",
          warmups: 1,
        },
      ];
      for (const step of steps.filter((s) => s.applies)) {
        const run = async (profileDir: string | null): Promise<number> => {
          step.before();
          const flags = profileDir ? ["--cpu-prof", "--cpu-prof-dir", profileDir, ...PROFILE_FLAGS] : [];
          const from = Number(process.hrtime.bigint() / 1000n);
          const sample = assertSuccess(
            await measureProcess(
              process.execPath,
              [...flags, opts.caxton, step.command, ws.dir, "--server", server.url, "--json"],
              { env, scratchDir: dir },
            ),
          );
          if (profileDir)
            windows.push({ label: step.label, fromUs: from, toUs: Number(process.hrtime.bigint() / 1000n) });
          return sample.wallMs;
        };
        for (let i = 0; i < step.warmups; i++) await run(null);
        const clientDir = join(outDir, `${name}-${step.id}`);
        const wallMs = await run(clientDir);
        const [file] = readdirSync(clientDir).filter((f) => f.endsWith(".cpuprofile"));
        if (!file) throw new Error(`bench: no profile written in ${clientDir}`);
        const summary = summarizeCpuProfile(readCpuProfile(join(clientDir, file)), repo);
        sections.push(
          renderProfileSummary(
            `${name}, ${step.label}: client (\`caxton ${step.command}\`, ${wallMs.toFixed(0)} ms wall under the profiler)`,
            summary,
          ),
        );
        opts.log(`  ${step.label}: ${wallMs.toFixed(0)} ms`);
      }
    } finally {
      await server.stop();
    }
    const [serverFile] = readdirSync(serverProfiles).filter((f) => f.endsWith(".cpuprofile"));
    if (serverFile) {
      const profile = readCpuProfile(join(serverProfiles, serverFile));
      for (const w of windows.filter((w) => w.label !== "`status` offline")) {
        sections.push(
          renderProfileSummary(
            `${name}, ${w.label}: server, during the request`,
            summarizeCpuProfile(profile, repo, w),
          ),
        );
      }
    }
    report.push(`### ${name} (${ws.files} files)`, "", ...sections);
    rmSync(dir, { recursive: true, force: true });
  }
  const text = report.join("\n");
  writeFileSync(join(outDir, "summary.md"), `${text}\n`);
  process.stdout.write(`${text}\n`);
  opts.log(`profiles and summary: ${outDir}`);
}
