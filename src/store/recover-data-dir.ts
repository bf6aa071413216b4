/**
 * Start-up recovery. `current` is the truth: a deployment is live iff `current` points at it. Every
 * leftover of an interrupted transaction is reconciled with that (see docs/design.md, "Recovery").
 */
import { lstatSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { deploymentDirName, type DataDir } from "./data-dir.js";
import type { RecoveryReport } from "./deployment-store.js";
import type { HistoryDb } from "./history-db.js";
import { readCurrentId } from "./current-link.js";

export function recoverDataDir(dir: DataDir, history: HistoryDb): RecoveryReport {
  for (const d of [dir.root, dir.objects, dir.deployments, dir.tmp]) mkdirSync(d, { recursive: true });
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
  // trees of pruned rows whose removal a crash interrupted, and any tree no committed row owns
  for (const name of readdirSync(dir.deployments)) {
    const id = Number.parseInt(name, 10);
    const row = Number.isSafeInteger(id) ? history.get(id) : undefined;
    if (id === report.currentId || row?.status === "committed") continue;
    rmSync(join(dir.deployments, name), { recursive: true, force: true });
    report.removedTemp.push(`deployments/${name}`);
  }
  if (linkOrFileExists(dir.currentTmp)) {
    rmSync(dir.currentTmp, { force: true });
    report.removedTemp.push("current.tmp");
  }
  for (const name of readdirSync(dir.tmp)) {
    rmSync(join(dir.tmp, name), { recursive: true, force: true });
    report.removedTemp.push(`tmp/${name}`);
  }
  if (report.removedTemp.length > 0) history.log("recovery", null, "removed-leftovers", report.removedTemp);
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
