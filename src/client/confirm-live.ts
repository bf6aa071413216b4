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

/**
 * Whether `root` is live, asked again after a dropped connection. After a server that stayed silent (the
 * request timed out), it is asked once: a silent server does not come back within seconds.
 */
export async function confirmLive(api: ApiClient, root: string, lost: CaxtonError): Promise<LiveAfterDrop> {
  const retries = silentFor(lost) === undefined ? RETRY_DELAYS_MS.length : 0;
  for (let attempt = 0; ; attempt++) {
    try {
      const live = await api.liveDeployment(root);
      return live ? { kind: "live", ...live } : { kind: "not-live" };
    } catch (err) {
      if (!isCaxtonError(err) || err.code !== "E_UNREACHABLE") return { kind: "unknown" };
      const delay = attempt < retries ? RETRY_DELAYS_MS[attempt] : undefined;
      if (delay === undefined) return { kind: "unknown" };
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** The error to report when the answer is not "live". */
export function droppedError(
  server: string,
  after: Exclude<LiveAfterDrop, { kind: "live" }>,
  lost: CaxtonError,
): CaxtonError {
  const seconds = silentFor(lost);
  const what =
    seconds === undefined
      ? `the connection to ${server} dropped before it answered`
      : `the server at ${server} sent nothing for ${seconds} s after the upload`;
  return after.kind === "not-live"
    ? new CaxtonError(
        "E_UNREACHABLE",
        `${what}, and the server does not run this workspace: nothing was applied`,
        { hint: "deploy again; a retried deploy is safe", detail: { connection: "lost", live: false } },
      )
    : new CaxtonError(
        "E_UNREACHABLE",
        `${what}, and the server cannot be reached to tell whether the deployment went live`,
        {
          hint:
            seconds === undefined
              ? "deploy again once the server is back: a retried deploy applies nothing twice"
              : "check the server; deploy again once it answers (a retried deploy applies nothing twice), or raise --timeout",
          detail: { connection: "lost", live: null },
        },
      );
}

/** The seconds a server stayed silent before the request gave up, when that is how the connection was lost. */
function silentFor(lost: CaxtonError): number | undefined {
  const s = lost.code === "E_UNREACHABLE" ? lost.detail?.silentFor : undefined;
  return typeof s === "number" ? s : undefined;
}

/** A request that reached the server and lost its connection before the answer (not a refused connect). */
export function isLostConnection(err: unknown): err is CaxtonError {
  return isCaxtonError(err) && err.code === "E_UNREACHABLE" && err.detail?.connection === "lost";
}
