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

/** The workspace as scanned; `fromMonitor` says whether the monitor's answer stood in for a walk. */
export async function scanLocal(
  workspace: string,
  cache: StatCachePort,
  options: Omit<ScanOptions, "cache" | "monitorToken"> = {},
): Promise<ScanResult> {
  /** a walk, saving `token` (taken before it began) with the cache when a monitor gave one */
  const walk = (token?: string): ScanResult =>
    scanWorkspace(workspace, { ...options, cache, ...(token ? { monitorToken: token } : {}) });
  let place;
  try {
    place = monitorPlace(stateDir(), workspace);
  } catch {
    return walk(); // the walk reports a missing workspace properly
  }
  if (!existsSync(place.socket)) return walk(); // no monitor
  const answer = await changesSince(place, cache.monitorToken?.() ?? null);
  if (!answer) return walk(); // a socket nobody answers on, or nonsense
  if ("full" in answer) return walk(answer.token); // it cannot vouch for the past
  const scan = scanFromCache(workspace, cache);
  if (!scan) return walk(answer.token); // the stat cache cannot stand for the last scan
  const outcome = rescanPaths(workspace, scan, answer.paths, cache, answer.token);
  // a folder, a link or an ignore rule changed; or files were being written
  if (outcome.kind === "full" || outcome.unsettled.length > 0) return walk(answer.token);
  scan.fromMonitor = true;
  scan.cachedFiles = scan.files.size - scan.hashedFiles;
  return scan;
}
