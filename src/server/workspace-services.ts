/**
 * The server's workspaces: one `DeployService` per workspace (its live view, caches and event stream),
 * made when a request first names it, over one shared store and one garbage-collection schedule. A
 * workspace exists from its first commit (`default` always): reads of one that does not are
 * E_NO_WORKSPACE; a deploy may name a new one, which its first commit creates.
 */
import type { WorkspaceSummary } from "../protocol/messages.js";
import { CaxtonError } from "../errors/caxton-error.js";
import {
  DEFAULT_WORKSPACE,
  WORKSPACE_ID_PATTERN,
  type DeploymentStore,
  type WorkspaceId,
} from "../store/deployment-store.js";
import { DeployService } from "./deploy-service.js";
import { GcScheduler } from "./gc-scheduler.js";
import type { ServerLimits } from "./server-limits.js";

export class WorkspaceServices {
  readonly default: DeployService;
  private readonly services = new Map<WorkspaceId, DeployService>();
  /** workspaces seen to exist (a workspace is never removed, so this only grows) */
  private readonly existing = new Set<WorkspaceId>([DEFAULT_WORKSPACE]);
  private readonly gc: GcScheduler;
  private logLine: (line: string) => void = () => {};

  constructor(
    readonly store: DeploymentStore,
    readonly limits: ServerLimits,
  ) {
    this.gc = new GcScheduler(store, limits, (line) => this.logLine(line));
    this.default = this.service(DEFAULT_WORKSPACE);
  }

  /** Where the services' operator notices go (the deployment is live but its bookkeeping failed, say). */
  set log(log: (line: string) => void) {
    this.logLine = log;
    for (const s of this.services.values()) s.log = log;
  }

  /** A workspace that exists, for reading and rollback; E_NO_WORKSPACE otherwise. */
  async read(id: WorkspaceId): Promise<DeployService> {
    checkName(id);
    if (!this.existing.has(id)) {
      if (!(await this.store.workspaces()).includes(id)) {
        throw new CaxtonError("E_NO_WORKSPACE", `there is no workspace ${JSON.stringify(id)} on this server`);
      }
      this.existing.add(id);
    }
    return this.service(id);
  }

  /** A workspace to deploy to: one that exists, or a new one its first commit creates. */
  forDeploy(id: WorkspaceId): DeployService {
    checkName(id);
    return this.service(id);
  }

  /** Every workspace that exists, sorted by name, with what is live in each. */
  async list(): Promise<WorkspaceSummary[]> {
    const names = await this.store.workspaces();
    return Promise.all(names.map(async (name) => this.summary(await this.read(name))));
  }

  async summary(service: DeployService): Promise<WorkspaceSummary> {
    const live = await service.liveDeployment();
    return {
      name: service.workspace.id,
      deployment_id: live?.id ?? null,
      checksum: live?.root ?? null,
      agents: live?.agents ?? 0,
      last_deploy: live?.created_at ?? null,
    };
  }

  /** The services made so far (metrics read their live views). */
  active(): DeployService[] {
    return [...this.services.values()];
  }

  collectGarbage(): ReturnType<GcScheduler["collect"]> {
    return this.gc.collect();
  }

  closeStreams(): void {
    for (const s of this.services.values()) s.events.closeAll();
  }

  async close(): Promise<void> {
    this.closeStreams();
    await this.store.close();
  }

  private service(id: WorkspaceId): DeployService {
    let service = this.services.get(id);
    if (!service) {
      service = new DeployService(this.store, this.limits, id, this.gc);
      service.log = this.logLine;
      this.services.set(id, service);
      void service.events.start().catch(() => {});
    }
    return service;
  }
}

/** Names are checked before any work, so a typo is a clear error and never a new workspace. */
export function checkName(id: string): void {
  if (!WORKSPACE_ID_PATTERN.test(id)) {
    throw new CaxtonError(
      "E_WORKSPACE_NAME",
      `${JSON.stringify(id.slice(0, 80))} is not a valid workspace name`,
    );
  }
}
