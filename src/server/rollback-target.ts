/**
 * Which deployment `caxton rollback [TARGET]` means: by id, by checksum (a unique prefix of at least 7
 * digits), or by default the one committed before the live one. Only committed deployments qualify; a
 * pruned one is named as such.
 */
import { CaxtonError } from "../errors/caxton-error.js";
import type { DeploymentRow, WorkspaceTransaction } from "../store/deployment-store.js";

export async function findRollbackTarget(
  history: Pick<WorkspaceTransaction, "committed" | "get">,
  target: string | null,
  currentId: number,
): Promise<DeploymentRow> {
  const rows = await history.committed(Number.MAX_SAFE_INTEGER);
  let row: DeploymentRow | undefined;
  if (target === null) {
    row = rows.find((r) => r.id < currentId);
    if (!row) throw new CaxtonError("E_NOT_FOUND", "there is no earlier deployment to roll back to");
    return row;
  }
  if (/^\d+$/.test(target)) row = rows.find((r) => r.id === Number(target));
  else if (/^[0-9a-f]{7,64}$/.test(target)) {
    const matches = [...new Set(rows.filter((r) => r.root.startsWith(target)).map((r) => r.root))];
    if (matches.length > 1) {
      throw new CaxtonError("E_USAGE", `checksum prefix ${target} is ambiguous`, {
        hint: "give more digits",
      });
    }
    row = rows.find((r) => r.root === matches[0]);
  } else {
    throw new CaxtonError("E_USAGE", `not a deployment id or checksum: ${target}`);
  }
  if (!row) {
    const pruned = /^\d+$/.test(target) && (await history.get(Number(target)))?.status === "pruned";
    throw new CaxtonError(
      "E_NOT_FOUND",
      pruned
        ? `deployment ${target} is older than the retention window and was pruned`
        : `no deployment ${target}`,
      { hint: "`caxton log` lists the deployments you can roll back to" },
    );
  }
  return row;
}
