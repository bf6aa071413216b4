/**
 * The one way a command scans the workspace: through the file-system monitor when one runs for it
 * (`caxton monitor start`; fs-monitor-daemon.ts), else by walking it. With a monitor, the last scan comes
 * back from the stat cache and only the paths the monitor names since that scan's token are stat'ed and
 * hashed again; whenever the monitor cannot vouch for that (it restarted, lost events, a folder changed)
 * or the cache cannot stand for the last scan, the workspace is walked, and the monitor's fresh token is
 * saved with the result for next time.
 *
 * A process that runs many commands (the monitor running them for clients) keeps its last scan of each
 * workspace with the token it was saved with, and starts the next scan from it rather than rebuilding it
 * from the stat cache, while the cache's token is still that one (nobody saved another scan since).
 */
import { existsSync } from "node:fs";
import { rescanPaths } from "../workspace/rescan-paths.js";
import { scanFromCache } from "../workspace/scan-from-cache.js";
import { scanWorkspace, type ScanOptions, type ScanResult } from "../workspace/scan-workspace.js";
import type { StatCachePort } from "../workspace/stat-cache.js";
import { changesSince, monitorPlace } from "./fs-monitor-client.js";
import { stateDir } from "./state-dir.js";

/** By monitor socket (one per state dir and workspace): the last scan saved with a monitor's token. */
const lastScans = new Map<string, { token: string; scan: ScanResult }>();

/** The workspace as scanned; `fromMonitor` says whether the monitor's answer stood in for a walk. */
export async function scanLocal(
  workspace: string,
  cache: StatCachePort,
  options: Omit<ScanOptions, "cache" | "monitorToken"> = {},
): Promise<ScanResult> {
  let place;
  try {
    place = monitorPlace(stateDir(), workspace);
  } catch {
    return scanWorkspace(workspace, { ...options, cache }); // the walk reports a missing workspace properly
  }
  const key = place.socket;
  /** the scan, kept when the cache now holds it under the monitor's token `token` */
  const keep = (scan: ScanResult, token: string): ScanResult => {
    if (cache.monitorToken?.() === token) lastScans.set(key, { token, scan });
    return scan;
  };
  /** a walk, saving `token` (taken before it began) with the cache when a monitor gave one */
  const walk = (token?: string): ScanResult => {
    const scan = scanWorkspace(workspace, { ...options, cache, ...(token ? { monitorToken: token } : {}) });
    return token ? keep(scan, token) : scan;
  };
  const kept = lastScans.get(key);
  lastScans.delete(key); // whatever happens next changes it, or makes it stale
  if (!existsSync(place.socket)) return walk(); // no monitor
  const saved = cache.monitorToken?.() ?? null;
  const answer = await changesSince(place, saved);
  if (!answer) return walk(); // a socket nobody answers on, or nonsense
  if ("full" in answer) return walk(answer.token); // it cannot vouch for the past
  const scan =
    kept && saved !== null && kept.token === saved ? fresh(kept.scan) : scanFromCache(workspace, cache);
  if (!scan) return walk(answer.token); // the stat cache cannot stand for the last scan
  const outcome = rescanPaths(workspace, scan, answer.paths, cache, answer.token);
  // a folder, a link or an ignore rule changed; or files were being written
  if (outcome.kind === "full" || outcome.unsettled.length > 0) return walk(answer.token);
  scan.fromMonitor = true;
  scan.cachedFiles = scan.files.size - scan.hashedFiles;
  return keep(scan, answer.token);
}

/** A kept scan as scanFromCache would give it: the same files and tree, this scan's counts at zero. */
function fresh(scan: ScanResult): ScanResult {
  scan.hashedFiles = 0;
  scan.hashedBytes = 0;
  scan.cachedFiles = scan.files.size;
  scan.reusedFolders = scan.tree.trees.size;
  delete scan.fromMonitor;
  return scan;
}
