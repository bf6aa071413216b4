/**
 * After the connection dropped while the server had the whole upload (it may have committed, then died or
 * lost the link), the client asks what is live instead of guessing: the cheap no-change request
 * (If-None-Match: root, 304 when it is live), retried for a few seconds while the server comes back.
 * Retrying a deploy is safe either way: the same root against a server that runs it is "up to date".
 */
import { CaxtonError, isCaxtonError } from "../errors/caxton-error.js";
import type { ApiClient } from "./api-client.js";

/** Waits between attempts: ~4 s in all, long enough for a supervised server to restart. */
const RETRY_DELAYS_MS = [150, 350, 700, 1200, 1600] as const;

export type LiveAfterDrop =
  { kind: "live"; deployment_id: number; time: string } | { kind: "not-live" } | { kind: "unknown" };

/** Whether `root` is live, asked again after a dropped connection. */
export async function confirmLive(api: ApiClient, root: string): Promise<LiveAfterDrop> {
  for (let attempt = 0; ; attempt++) {
    try {
      const live = await api.liveDeployment(root);
      return live ? { kind: "live", ...live } : { kind: "not-live" };
    } catch (err) {
      if (!isCaxtonError(err) || err.code !== "E_UNREACHABLE") return { kind: "unknown" };
      const delay = RETRY_DELAYS_MS[attempt];
      if (delay === undefined) return { kind: "unknown" };
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** The error to report when the answer is not "live". */
export function droppedError(server: string, after: Exclude<LiveAfterDrop, { kind: "live" }>): CaxtonError {
  return after.kind === "not-live"
    ? new CaxtonError(
        "E_UNREACHABLE",
        `the connection to ${server} dropped before it answered, and the server does not run this workspace: nothing was applied`,
        { hint: "deploy again; a retried deploy is safe", detail: { connection: "lost", live: false } },
      )
    : new CaxtonError(
        "E_UNREACHABLE",
        `the connection to ${server} dropped before it answered, and the server cannot be reached to tell whether the deployment went live`,
        {
          hint: "deploy again once the server is back: a retried deploy applies nothing twice",
          detail: { connection: "lost", live: null },
        },
      );
}

/** A request that reached the server and lost its connection before the answer (not a refused connect). */
export function isLostConnection(err: unknown): err is CaxtonError {
  return isCaxtonError(err) && err.code === "E_UNREACHABLE" && err.detail?.connection === "lost";
}
