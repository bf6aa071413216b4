/** What a refused mass deletion would have removed (E_MASS_DELETION's detail), as lines for a person. */
import type { MassDeletion } from "../config/deletion-guard.js";

/** paths shown before "… and N more" */
const SHOWN = 20;

export function deletionLines(detail: Partial<MassDeletion> | undefined): string[] {
  const d = detail;
  if (!d?.deleted || d.deleted_count === undefined) return [];
  const lines = [`would delete ${d.deleted_count} of ${d.live_files ?? "?"} live files:`];
  for (const path of d.deleted.slice(0, SHOWN)) lines.push(`  - ${path}`);
  if (d.deleted_count > SHOWN) lines.push(`  … and ${d.deleted_count - SHOWN} more`);
  if (d.agents_deleted?.length) lines.push(`that is every agent: ${d.agents_deleted.join(", ")}`);
  return lines;
}
