/**
 * The agent-aware plan of a deploy that has not happened (`caxton diff`), computed here from the workspace
 * and the server's versions of the changed configuration files, with the same rules the server applies
 * (config/plan-agent-changes.ts). Unchanged files are the same on both sides, so they are parsed once,
 * locally; only changed config files are fetched (by checksum, verified), and the caller reuses those
 * bytes for its patches.
 */
import { readFileSync } from "node:fs";
import { analyzeFile, classifyPath, type FileAnalysis } from "../config/analyze-file.js";
import { configSide, planAgentChanges } from "../config/plan-agent-changes.js";
import type { AgentPlan } from "../protocol/messages.js";
import type { ScanResult } from "../workspace/scan-workspace.js";

export interface PlanPreview {
  plan: AgentPlan;
  /** the server's content of each changed configuration file, by path */
  remoteContent: Map<string, Buffer>;
}

export async function previewPlan(
  scan: ScanResult,
  remote: ReadonlyMap<string, string>,
  changed: readonly string[],
  fetchObject: (hash: string) => Promise<Buffer>,
): Promise<PlanPreview> {
  const after = new Map<string, FileAnalysis>();
  for (const [path, file] of scan.files)
    if (classifyPath(path) !== "other") after.set(path, analyzeFile(path, readFileSync(file.absPath)));
  const before = new Map(after);
  const remoteContent = new Map<string, Buffer>();
  for (const path of changed) {
    before.delete(path);
    const hash = remote.get(path);
    if (!hash || classifyPath(path) === "other") continue;
    const content = await fetchObject(hash);
    remoteContent.set(path, content);
    before.set(path, analyzeFile(path, content));
  }
  return { plan: planAgentChanges(configSide(before), configSide(after), changed), remoteContent };
}
