/**
 * The layout of a server data dir. One place names every path, so recovery and GC agree with apply.
 * Objects, laid-out trees, the temp dir and the database are shared by every workspace; each workspace has
 * its own `current` and `deployments/`. The `default` workspace keeps them at the data dir's top level
 * (`DATA/current`), another workspace `W` under `DATA/workspaces/W/`.
 */
import { join } from "node:path";
import { DEFAULT_WORKSPACE, type WorkspaceId } from "./deployment-store.js";

export interface DataDir {
  root: string;
  objects: string;
  trees: string;
  tmp: string;
  db: string;
  /** where the workspaces other than `default` keep their own folder */
  workspaces: string;
  workspace: WorkspaceId;
  /** the folder holding this workspace's `current` (the data dir itself for `default`) */
  home: string;
  deployments: string;
  current: string;
  currentTmp: string;
  /** `deployments/<id>`'s link target prefix, relative to `deployments/` */
  treesFromDeployments: string;
}

export function dataDir(root: string, workspace: WorkspaceId = DEFAULT_WORKSPACE): DataDir {
  const workspaces = join(root, "workspaces");
  const isDefault = workspace === DEFAULT_WORKSPACE;
  const home = isDefault ? root : join(workspaces, workspace);
  return {
    root,
    objects: join(root, "objects"),
    trees: join(root, "trees"),
    tmp: join(root, "tmp"),
    db: join(root, "caxton.db"),
    workspaces,
    workspace,
    home,
    deployments: join(home, "deployments"),
    current: join(home, "current"),
    currentTmp: join(home, "current.tmp"),
    treesFromDeployments: isDefault ? "../trees" : "../../../trees",
  };
}

export function objectPath(objectsDir: string, hash: string): string {
  return join(objectsDir, hash.slice(0, 2), hash.slice(2));
}

export function deploymentDirName(id: number): string {
  return String(id).padStart(8, "0");
}
