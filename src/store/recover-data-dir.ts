/**
 * Start-up recovery. Each workspace's `current` is its truth: a deployment is live iff its workspace's
 * `current` points at it. Every leftover of an interrupted transaction is reconciled with that, workspace
 * by workspace, so a crash during one workspace's deploy touches no other (see docs/design.md, "Recovery").
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { dataDir, deploymentDirName, type DataDir } from "./data-dir.js";
import { DEFAULT_WORKSPACE, WORKSPACE_ID_PATTERN, type RecoveryReport } from "./deployment-store.js";
import type { HistoryDb, WorkspaceHistory } from "./history-db.js";
import { readCurrentId } from "./current-link.js";

/** Recovers every workspace of a data dir; returns each one's report, `default` first. */
export function recoverDataDir(root: string, db: HistoryDb): Map<string, RecoveryReport> {
  const shared = dataDir(root);
  for (const d of [shared.root, shared.objects, shared.trees, shared.tmp]) mkdirSync(d, { recursive: true });
  const names = new Set([DEFAULT_WORKSPACE, ...db.workspacesWithRows()]);
  if (existsSync(shared.workspaces))
    for (const name of readdirSync(shared.workspaces)) if (WORKSPACE_ID_PATTERN.test(name)) names.add(name);
  const reports = new Map<string, RecoveryReport>();
  for (const name of names) {
    reports.set(name, recoverWorkspace(dataDir(root, name), db.forWorkspace(name)));
  }
  // the temp dir is shared: what is in it belongs to no transaction any more
  for (const name of readdirSync(shared.tmp)) {
    rmSync(join(shared.tmp, name), { recursive: true, force: true });
    reports.get(DEFAULT_WORKSPACE)?.removedTemp.push(`tmp/${name}`);
  }
  for (const [name, report] of reports) {
    if (report.removedTemp.length > 0)
      db.forWorkspace(name).log("recovery", null, "removed-leftovers", report.removedTemp);
  }
  return reports;
}

function recoverWorkspace(dir: DataDir, history: WorkspaceHistory): RecoveryReport {
  mkdirSync(dir.deployments, { recursive: true });
  const report: RecoveryReport = {
    currentId: readCurrentId(dir),
    committed: [],
    aborted: [],
    removedTemp: [],
  };
  for (const row of history.withStatus("prepared")) {
    if (row.id === report.currentId) {
      history.setStatus(row.id, "committed");
      history.log("recovery", row.id, "recovered-committed");
      report.committed.push(row.id);
    } else {
      rmSync(join(dir.deployments, deploymentDirName(row.id)), { recursive: true, force: true });
      history.setStatus(row.id, "aborted");
      history.log("recovery", row.id, "recovered-aborted");
      report.aborted.push(row.id);
    }
  }
  const prefix = dir.workspace === DEFAULT_WORKSPACE ? "" : `workspaces/${dir.workspace}/`;
  // trees of pruned rows whose removal a crash interrupted, and any tree no committed row owns
  for (const name of readdirSync(dir.deployments)) {
    const id = Number.parseInt(name, 10);
    const row = Number.isSafeInteger(id) ? history.get(id) : undefined;
    if (id === report.currentId || row?.status === "committed") continue;
    rmSync(join(dir.deployments, name), { recursive: true, force: true });
    report.removedTemp.push(`${prefix}deployments/${name}`);
  }
  if (linkOrFileExists(dir.currentTmp)) {
    rmSync(dir.currentTmp, { force: true });
    report.removedTemp.push(`${prefix}current.tmp`);
  }
  return report;
}

function linkOrFileExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
