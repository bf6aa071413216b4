/** The layout of a server data dir. One place names every path, so recovery and GC agree with apply. */
import { join } from "node:path";

export interface DataDir {
  root: string;
  objects: string;
  deployments: string;
  trees: string;
  tmp: string;
  current: string;
  currentTmp: string;
  db: string;
}

export function dataDir(root: string): DataDir {
  return {
    root,
    objects: join(root, "objects"),
    deployments: join(root, "deployments"),
    trees: join(root, "trees"),
    tmp: join(root, "tmp"),
    current: join(root, "current"),
    currentTmp: join(root, "current.tmp"),
    db: join(root, "caxton.db"),
  };
}

export function objectPath(objectsDir: string, hash: string): string {
  return join(objectsDir, hash.slice(0, 2), hash.slice(2));
}

export function deploymentDirName(id: number): string {
  return String(id).padStart(8, "0");
}
