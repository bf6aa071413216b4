/**
 * When retention and garbage collection run: after a commit that leaves more committed deployments than
 * are kept (and once after start), off the request's path. The store takes the deploy lock for it.
 */
import type { DeploymentStore, GcReport, WorkspaceTransaction } from "../store/deployment-store.js";
import type { ServerLimits } from "./server-limits.js";

export class GcScheduler {
  private requested = true;

  constructor(
    private readonly store: DeploymentStore,
    private readonly limits: ServerLimits,
    private readonly log: (line: string) => void,
  ) {}

  /** Called by a commit's lock holder; schedules a collection when retention has work. */
  async afterCommit(history: Pick<WorkspaceTransaction, "committed">): Promise<void> {
    const committed = (await history.committed(this.limits.keepDeployments + 1)).length;
    if (committed <= this.limits.keepDeployments && !this.requested) return;
    this.requested = false;
    setImmediate(() => {
      this.collect().catch((err: unknown) => this.log(`gc failed: ${String(err)}`));
    });
  }

  collect(): Promise<GcReport> {
    return this.store.collectGarbage({
      keepDeployments: this.limits.keepDeployments,
      graceMs: this.limits.gcGraceMs,
      lockTimeoutMs: this.limits.lockTimeoutMs,
    });
  }
}
