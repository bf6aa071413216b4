/**
 * The one way a command scans the workspace: through the file-system monitor when one runs for it
 * (`caxton monitor start`; fs-monitor-daemon.ts), else by walking it. With a monitor, the last scan comes
 * back from the stat cache and only the paths the monitor names since that scan's token are stat'ed and
 * hashed again; whenever the monitor cannot vouch for that (it restarted, lost events, a folder changed)
 * or the cache cannot stand for the last scan, the workspace is walked, and the monitor's fresh token is
 * saved with the result for next time.
 */
import { existsSync } from "node:fs";
import { rescanPaths } from "../workspace/rescan-paths.js";
import { scanFromCache } from "../workspace/scan-from-cache.js";
import { scanWorkspace, type ScanOptions, type ScanResult } from "../workspace/scan-workspace.js";
import type { StatCachePort } from "../workspace/stat-cache.js";
import { changesSince, monitorPlace } from "./fs-monitor-client.js";
import { stateDir } from "./state-dir.js";

export type ScanSource = "walk" | "monitor";

export interface LocalScan {
  scan: ScanResult;
  /** how the scan was made, and why a monitor's answer was not used (for --verbose and the bench) */
  source: ScanSource;
  walkReason?: string;
}

export async function scanLocal(
  workspace: string,
  cache: StatCachePort,
  options: Omit<ScanOptions, "cache" | "monitorToken"> = {},
): Promise<LocalScan> {
  const walk = (token: string | undefined, reason: string): LocalScan => ({
    scan: scanWorkspace(workspace, { ...options, cache, ...(token ? { monitorToken: token } : {}) }),
    source: "walk",
    walkReason: reason,
  });
  let place;
  try {
    place = monitorPlace(stateDir(), workspace);
  } catch {
    return walk(undefined, "no monitor"); // the walk reports a missing workspace properly
  }
  if (!existsSync(place.socket)) return walk(undefined, "no monitor");
  const answer = await changesSince(place, cache.monitorToken?.() ?? null);
  if (!answer) return walk(undefined, "the monitor did not answer");
  if ("full" in answer) return walk(answer.token, answer.full);
  const scan = scanFromCache(workspace, cache);
  if (!scan) return walk(answer.token, "the stat cache cannot stand for the last scan");
  const outcome = rescanPaths(workspace, scan, answer.paths, cache, answer.token);
  if (outcome.kind === "full") return walk(answer.token, outcome.reason);
  if (outcome.unsettled.length > 0) return walk(answer.token, "files were being written");
  scan.fromMonitor = true;
  scan.cachedFiles = scan.files.size - scan.hashedFiles;
  return { scan, source: "monitor" };
}
