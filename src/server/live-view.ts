/**
 * The live configuration as the read API serves it (deployment, validated config, agents), replaced whole
 * in one assignment right after the head moved, so API readers see one deployment or the next, never a mix.
 * Computed from the head on first read (and again after a head moved elsewhere).
 */
import type { AgentRecord, ConfigCache } from "../config/config-cache.js";
import type { ManifestDiff } from "../merkle/diff-manifests.js";
import type { BlobStore, WorkspaceStore } from "../store/deployment-store.js";
import { configEntries } from "./config-entries.js";
import { deploymentEvent } from "./deployment-events.js";
import type { DeploymentEvent, EventHub } from "./event-hub.js";
import { sortedAgents, validateIncrementally, type ValidatedConfig } from "./incremental-validation.js";
import type { ManifestCache } from "./manifest-cache.js";

export interface LiveView {
  deployment_id: number;
  checksum: string;
  time: string;
  config: ValidatedConfig;
  /** sorted by path; computed on first read (a deploy does not pay for sorting 10,000 agents) */
  readonly agents: AgentRecord[];
  readonly byName: Map<string, AgentRecord>;
  counts: ChangedFiles;
}

/** The files a deployment added, modified and deleted (a rename counts as a deletion and an addition). */
export type ChangedFiles = Pick<ManifestDiff, "added" | "modified" | "deleted">;

const NO_CHANGES: ChangedFiles = { added: [], modified: [], deleted: [] };

export class LiveState {
  /** undefined until first needed (computed from the head), then replaced whole on every swap */
  private view: LiveView | undefined;

  constructor(
    private readonly workspace: WorkspaceStore,
    private readonly objects: BlobStore,
    private readonly manifests: ManifestCache,
    private readonly configCache: ConfigCache,
    private readonly events: EventHub,
  ) {}

  async get(): Promise<LiveView | null> {
    if (this.view === undefined) {
      const row = await this.workspace.head();
      if (!row) return null;
      const config = await this.validatedFor(row.root);
      this.view ??= liveView(row.id, row.root, row.created_at, config, NO_CHANGES);
    }
    return this.view;
  }

  /** The head moved elsewhere: recompute on the next read. */
  invalidate(): void {
    this.view = undefined;
  }

  /** The validated configuration of a deployment: the live one's is kept, others are computed. */
  async validatedFor(root: string): Promise<ValidatedConfig> {
    if (this.view?.checksum === root) return this.view.config;
    const entries = await configEntries(
      this.objects,
      this.configCache,
      await this.manifests.manifestOf(root),
      null,
      undefined,
    );
    return validateIncrementally(this.configCache, entries, undefined).state;
  }

  /** Replaces the live view right after the head moved, then publishes the event. */
  async goLive(
    txid: string,
    type: DeploymentEvent["type"],
    deployment: { id: number; root: string; time: string; previous: string | null },
    diff: ChangedFiles,
    config: ValidatedConfig,
  ): Promise<void> {
    const before = this.view;
    this.view = liveView(deployment.id, deployment.root, deployment.time, config, diff);
    // the agents this deployment changed: those whose files changed, before or after (proportional to the diff)
    const changed = new Set<string>();
    for (const path of [...diff.added, ...diff.modified, ...diff.deleted]) {
      const now = config.agents.get(path)?.name;
      const was = before?.config.agents.get(path)?.name;
      if (now) changed.add(now);
      if (was) changed.add(was);
    }
    await this.events.publish(
      txid,
      deploymentEvent(type, deployment.id, deployment.root, deployment.previous, {
        changed_agents: [...changed].sort(),
        added: diff.added.length,
        modified: diff.modified.length,
        deleted: diff.deleted.length,
      }),
    );
  }
}

function liveView(
  id: number,
  root: string,
  time: string,
  config: ValidatedConfig,
  counts: ChangedFiles,
): LiveView {
  let agents: AgentRecord[] | undefined;
  let byName: Map<string, AgentRecord> | undefined;
  return {
    deployment_id: id,
    checksum: root,
    time,
    config,
    counts,
    get agents() {
      return (agents ??= sortedAgents(config));
    },
    get byName() {
      return (byName ??= new Map(this.agents.map((a) => [a.name, a])));
    },
  };
}
