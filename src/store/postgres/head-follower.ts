/**
 * Follows a workspace's head (its live deployment) in the database. A deploy commits `NOTIFY caxton_head`
 * with the workspace's name in the same transaction that moves the head, so followers hear of it within
 * milliseconds. Notifications are only a hint: the head is re-read on every notification, every time the
 * listening connection is re-established, and on a timer, so a lost notification (a dropped connection, a
 * restarted database) costs at most one timer period of latency, never a missed deployment. `onHead` runs
 * for each head that differs from the last one it handled, one call at a time; when it fails, the same head
 * is offered again at the next check.
 */
import pg from "pg";
import type { Queryable } from "./database.js";

export const HEAD_CHANNEL = "caxton_head";

export interface Head {
  deploymentId: number;
  root: string;
}

export interface HeadFollowerOptions {
  url: string;
  /** where heads are read (the replica's pool) */
  db: Queryable;
  workspace: string;
  /** re-read period (default 2 s) */
  pollMs?: number;
  onHead(head: Head | null): Promise<void>;
  /** a notification named another workspace (one this replica may not follow yet) */
  onOtherWorkspace?(workspace: string): void;
  log?(line: string): void;
}

export async function readHead(db: Queryable, workspace: string): Promise<Head | null> {
  const { rows } = await db.query<{ deployment_id: string; root: string }>(
    "SELECT deployment_id, root FROM heads WHERE workspace = $1",
    [workspace],
  );
  const row = rows[0];
  return row ? { deploymentId: Number(row.deployment_id), root: row.root } : null;
}

export class HeadFollower {
  private listener: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private backoffMs = 100;
  private checking: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  /** the deployment id last handed to onHead successfully (undefined: none yet, null: no head) */
  private handled: number | null | undefined = undefined;

  constructor(private readonly options: HeadFollowerOptions) {}

  /** Starts listening and polling; resolves after the first check (which may have failed, and is retried). */
  async start(): Promise<void> {
    this.timer = setInterval(() => void this.check(), this.options.pollMs ?? 2_000);
    this.timer.unref();
    await this.connect();
    await this.check();
  }

  /** Re-reads the head now (and once more after a check already under way). */
  check(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.checking) {
      this.again = true;
      return this.checking;
    }
    this.checking = (async () => {
      do {
        this.again = false;
        try {
          const head = await readHead(this.options.db, this.options.workspace);
          const id = head?.deploymentId ?? null;
          if (id !== this.handled) {
            await this.options.onHead(head);
            this.handled = id;
          }
        } catch (err) {
          this.options.log?.(`following the head failed (retrying): ${String(err)}`);
        }
      } while (this.again && !this.stopped);
    })().finally(() => (this.checking = null));
    return this.checking;
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.options.url, application_name: "caxton-follower" });
    const lost = (): void => {
      if (this.listener !== client) return;
      this.listener = null;
      client.end().catch(() => {});
      this.scheduleReconnect();
    };
    client.on("error", lost);
    client.on("end", lost);
    client.on("notification", (msg) => {
      if (msg.channel !== HEAD_CHANNEL) return;
      if (msg.payload === this.options.workspace) void this.check();
      else if (msg.payload) this.options.onOtherWorkspace?.(msg.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${HEAD_CHANNEL}`);
      this.listener = client;
      this.backoffMs = 100;
      if (this.stopped) await client.end();
    } catch (err) {
      this.options.log?.(`cannot listen for deployments (retrying): ${String(err)}`);
      client.end().catch(() => {});
      this.scheduleReconnect();
      return;
    }
    // anything committed while we were not listening
    void this.check();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, 5_000);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect();
    }, delay);
    this.reconnectTimer.unref();
  }

  /** True while the notification connection is up (for health reporting and tests). */
  get listening(): boolean {
    return this.listener !== null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.listener;
    this.listener = null;
    await client?.end().catch(() => {});
    await this.checking;
  }
}
