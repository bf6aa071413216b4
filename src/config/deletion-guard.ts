/**
 * The deletion guard: a deployment that would remove every live agent, or more than half of the live
 * files, is almost always a deploy of the wrong folder. When the client asks for the guard (the CLI does,
 * unless `--yes`), such a deployment is refused with E_MASS_DELETION, nothing applied, and the error says
 * what would go. The server decides, against what is live at that moment, so no extra round trip is needed
 * and a deploy racing another one is judged on what it would really delete.
 */
import { CaxtonError } from "../errors/caxton-error.js";
import { classifyPath } from "./analyze-file.js";

/** paths listed in the error's detail; the counts are always exact */
const LISTED = 1000;

export interface MassDeletion {
  /** the deleted paths, sorted, at most LISTED of them */
  deleted: string[];
  deleted_count: number;
  live_files: number;
  /** agent files the deployment removes, when it removes every one of them; else empty */
  agents_deleted: string[];
  live_agents: number;
}

/** What a deployment from `before` to `after` deletes, when that is every agent or over half the files. */
export function massDeletion(
  before: ReadonlyMap<string, string>,
  after: ReadonlyMap<string, string>,
  deleted: readonly string[],
): MassDeletion | null {
  const liveAgents = [...before.keys()].filter((p) => classifyPath(p) === "agent");
  const everyAgent = liveAgents.length > 0 && ![...after.keys()].some((p) => classifyPath(p) === "agent");
  const overHalf = deleted.length * 2 > before.size;
  if (!everyAgent && !overHalf) return null;
  return {
    deleted: [...deleted].sort().slice(0, LISTED),
    deleted_count: deleted.length,
    live_files: before.size,
    agents_deleted: everyAgent ? liveAgents.sort() : [],
    live_agents: liveAgents.length,
  };
}

/** Throws E_MASS_DELETION when the deployment deletes every agent or more than half of the live files. */
export function refuseMassDeletion(
  before: ReadonlyMap<string, string>,
  after: ReadonlyMap<string, string>,
  deleted: readonly string[],
): void {
  const found = massDeletion(before, after, deleted);
  if (!found) return;
  const what =
    found.agents_deleted.length > 0
      ? `every agent (${found.live_agents}) and ${found.deleted_count} of ${found.live_files} live files`
      : `${found.deleted_count} of ${found.live_files} live files`;
  throw new CaxtonError("E_MASS_DELETION", `this deployment would delete ${what}; nothing was applied`, {
    detail: { ...found },
  });
}
