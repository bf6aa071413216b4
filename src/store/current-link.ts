/**
 * `DATA/deployments/<id>` is a relative symlink to the deployment's root tree, `../trees/<root hash>`
 * (materialize-tree.ts); another workspace's, `DATA/workspaces/W/deployments/<id>`, to `../../../trees/<root hash>`.
 * `current` is a relative symlink to `deployments/<id>` beside it. It is replaced by creating `current.tmp` and
 * renaming it over `current`: rename(2) is atomic, so a reader resolves either the old tree or the new one.
 */
import { readlinkSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { basename, join } from "node:path";
import type { DataDir } from "./data-dir.js";
import { deploymentDirName } from "./data-dir.js";
import type { DurabilityPort } from "./durable-fs.js";

/** The deployment id `current` points at, or null before the first deployment. */
export function readCurrentId(dir: DataDir): number | null {
  let target: string;
  try {
    target = readlinkSync(dir.current);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  const id = Number.parseInt(basename(target), 10);
  if (!Number.isSafeInteger(id)) throw new Error(`DATA/current points at an unexpected place: ${target}`);
  return id;
}

export function swapCurrent(dir: DataDir, id: number, durability: DurabilityPort): void {
  rmSync(dir.currentTmp, { force: true });
  symlinkSync(`deployments/${deploymentDirName(id)}`, dir.currentTmp);
  durability.step("swap-current");
  renameSync(dir.currentTmp, dir.current);
  durability.fsyncDir(dir.home);
}

/** Names a laid-out root tree as deployment `id` (symlink(2) is atomic) and makes the name durable. */
export function linkDeployment(dir: DataDir, id: number, root: string, durability: DurabilityPort): void {
  const link = join(dir.deployments, deploymentDirName(id));
  rmSync(link, { recursive: true, force: true });
  symlinkSync(`${dir.treesFromDeployments}/${root}`, link);
  durability.fsyncDir(dir.deployments);
}
