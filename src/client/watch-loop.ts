/**
 * `deploy --watch`: deploys once, then deploys again after every batch of changes the watcher sees, until
 * the signal aborts (after the deploy in flight). The workspace scan lives across deploys: a batch re-reads
 * only the paths it names (rescanPaths), and any doubt — a full batch from the watcher, a path the rescan
 * cannot settle, an earlier failure — walks the whole workspace again, so a deploy is never of a stale tree.
 * One ApiClient (one keep-alive connection) serves every deploy.
 *
 * What ends the loop: the signal, or a conflict — E_CONFLICT from the server, or the server's live
 * deployment no longer being this loop's last one (someone else deployed) — unless `force`. A rejected
 * deploy (validation), a workspace error (a dangling link, say) or an unreachable server is reported and the
 * loop goes on: the next save deploys everything changed since the last good deploy.
 */
import { CaxtonError, isCaxtonError } from "../errors/caxton-error.js";
import type { ErrorCode } from "../errors/error-codes.js";
import { rescanPaths } from "../workspace/rescan-paths.js";
import { scanWorkspace, type ScanResult } from "../workspace/scan-workspace.js";
import { ApiClient, type ConnectionOptions } from "./api-client.js";
import { deployWorkspace, type DeployOutcome } from "./deploy-workspace.js";
import { KeptGitInfo } from "./git-info.js";
import type { LocalState } from "./local-state.js";
import { WorkspaceWatcher, type WatchBatch } from "./workspace-watcher.js";

export interface WatchLoopRequest {
  workspace: string;
  server: string;
  state: LocalState;
  connection?: ConnectionOptions;
  force?: boolean;
  /** let the server refuse a deploy that deletes every agent or over half of the live files (default) */
  guardDeletions?: boolean;
  deployedBy?: string;
  message?: string;
  /** poll every this many ms instead of watching file events */
  pollMs?: number | null;
  signal: AbortSignal;
  onEvent: (event: WatchEvent) => void;
}

/** What changed, as the watch saw it: a list of paths, or a full scan and why. */
export type WatchCause = { full: false; paths: string[] } | { full: true; reason: string };

export type WatchEvent =
  | { kind: "watching"; polling: boolean; note: string | null }
  | { kind: "deployed"; at: Date; cause: WatchCause; outcome: DeployOutcome }
  | { kind: "failed"; at: Date; cause: WatchCause; error: CaxtonError };

/** Failures after which the loop goes on watching: the next save may fix them. */
const RECOVERABLE: ReadonlySet<ErrorCode> = new Set([
  "E_VALIDATION",
  "E_MASS_DELETION",
  "E_WORKSPACE",
  "E_SYMLINK",
  "E_SPECIAL_FILE",
  "E_BAD_NAME",
  "E_UNSAFE_PATH",
  "E_UNREACHABLE",
  "E_BUSY",
  "E_CHECKSUM_MISMATCH",
]);
/** Failures after which the kept scan is not trusted: the next batch walks the workspace again. */
const STALE_SCAN: ReadonlySet<ErrorCode> = new Set([
  "E_WORKSPACE",
  "E_SYMLINK",
  "E_SPECIAL_FILE",
  "E_BAD_NAME",
  "E_UNSAFE_PATH",
  "E_CHECKSUM_MISMATCH",
]);
/** How long a file still being written is given before it is read again. */
const UNSETTLED_RETRY_MS = 25;

export async function runWatchLoop(req: WatchLoopRequest): Promise<void> {
  const watcher = new WorkspaceWatcher(req.workspace, { pollMs: req.pollMs ?? null });
  const stop = (): void => watcher.close();
  req.signal.addEventListener("abort", stop);
  const api = new ApiClient(req.server, req.connection ?? {});
  const cache = req.state.statCache(req.workspace);
  const git = new KeptGitInfo(req.workspace);
  let scan: ScanResult | null = null;
  let deployedOnce = false;
  /** the tree of the last rejected deploy: not sent again until it changes */
  let rejectedRoot: string | null = null;
  try {
    req.onEvent({ kind: "watching", polling: watcher.polling, note: watcher.fallbackReason });
    let batch: WatchBatch | null = { full: true, reason: "start" };
    while (batch && !req.signal.aborted) {
      let cause: WatchCause = batch.full
        ? { full: true, reason: batch.reason }
        : { full: false, paths: [...batch.paths].sort() };
      let retry: string[] = [];
      try {
        let fresh = false;
        if (!scan || batch.full) fresh = true;
        else {
          const outcome = rescanPaths(req.workspace, scan, batch.paths, cache);
          if (outcome.kind === "full") {
            cause = { full: true, reason: outcome.reason };
            fresh = true;
          } else {
            retry = outcome.unsettled;
            if (outcome.changed.length === 0 && deployedOnce) {
              batch = await nextBatch(watcher, retry);
              continue; // saved without a change (or only ignored files): nothing to deploy
            }
            cause = { full: false, paths: outcome.changed.sort() };
          }
        }
        if (fresh) {
          watcher.resync(); // watch new folders before reading them, so nothing created meanwhile is missed
          scan = null;
          scan = scanWorkspace(req.workspace, { cache });
        }
        const scanned: ScanResult = scan ?? scanWorkspace(req.workspace, { cache });
        // a full scan (poll, or a doubt) that found the tree deployed or rejected last: nothing to send
        const root = fresh && deployedOnce ? scanned.tree.root : null;
        const known = root !== null && (root === rejectedRoot || root === deployedRoot(req));
        if (!known) {
          api.resetStats();
          scanned.hashedFiles = 0;
          const deploy = () =>
            deployWorkspace({
              workspace: req.workspace,
              server: req.server,
              state: req.state,
              force: req.force ?? false,
              guardDeletions: req.guardDeletions ?? true,
              strictBase: deployedOnce && !req.force,
              scan: scanned,
              api,
              gitFacts: () => git.facts(),
              ...(req.deployedBy ? { deployedBy: req.deployedBy } : {}),
              ...(req.message ? { message: req.message } : {}),
            });
          let attempt = await deploy();
          // the kept connection may have been closed by the server while this loop was busy (its keep-alive
          // time-out): once more, on a new one; a retried deploy applies nothing twice
          if (!attempt.ok && attempt.wire?.roundTrips === 1 && staleConnection(attempt.error)) {
            api.resetStats();
            attempt = await deploy();
          }
          if (!attempt.ok) throw attempt.error;
          deployedOnce = true;
          rejectedRoot = null;
          req.onEvent({ kind: "deployed", at: new Date(), cause, outcome: attempt.outcome });
        }
      } catch (err) {
        if (!isCaxtonError(err)) throw err;
        if (err.code === "E_BASE_MISMATCH") throw await someoneElseDeployed(api, req.server);
        if (!RECOVERABLE.has(err.code)) throw err;
        rejectedRoot =
          (err.code === "E_VALIDATION" || err.code === "E_MASS_DELETION") && scan ? scan.tree.root : null;
        if (STALE_SCAN.has(err.code)) scan = null; // the next batch walks everything again
        deployedOnce = true;
        req.onEvent({ kind: "failed", at: new Date(), cause, error: err });
      }
      batch = await nextBatch(watcher, retry);
    }
  } finally {
    req.signal.removeEventListener("abort", stop);
    watcher.close();
    api.close();
  }
}

/** The watcher's next batch, with files that were still being written folded in after a short wait. */
async function nextBatch(watcher: WorkspaceWatcher, unsettled: string[]): Promise<WatchBatch | null> {
  if (unsettled.length === 0) return watcher.next();
  await new Promise((resolve) => setTimeout(resolve, UNSETTLED_RETRY_MS));
  const paths = new Set(unsettled);
  return { full: false, paths };
}

/** A request that failed on the socket itself: a reset, or a write to a connection the server had closed. */
function staleConnection(err: CaxtonError): boolean {
  const cause = (err as { cause?: { code?: unknown } }).cause?.code;
  return err.code === "E_UNREACHABLE" || cause === "EPIPE" || cause === "ECONNRESET";
}

function deployedRoot(req: WatchLoopRequest): string | null {
  return req.state.lastDeployment(req.workspace, req.state.serverKey(req.server))?.deployed_checksum ?? null;
}

/** The error that stops the loop when the live deployment is no longer the one it made. */
async function someoneElseDeployed(api: ApiClient, server: string): Promise<CaxtonError> {
  let who = "someone else";
  try {
    const [latest] = await api.history(1);
    if (latest) who = `${latest.deployed_by ?? "someone else"} (deployment #${latest.id} at ${latest.time})`;
  } catch {
    // the history is only for the message
  }
  return new CaxtonError(
    "E_CONFLICT",
    `${who} deployed to ${server} since this watch's last deploy; stopped so as not to overwrite it`,
    {
      hint: "pull their change and start the watch again, or watch with --force to overwrite what others deploy",
    },
  );
}
