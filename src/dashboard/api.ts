/**
 * The dashboard's view of the server: JSON calls with the bearer token in the Authorization header (never in
 * a URL), and the event stream read with fetch, because EventSource cannot send headers. The token lives in
 * memory and in sessionStorage (this tab only), never in localStorage or a cookie.
 */
import type { DeploymentEvent } from "../server/event-hub.js";
import { parseSseBlock } from "./sse-frame.js";

const TOKEN_KEY = "caxton.token";

/**
 * The workspace this page shows: `?workspace=NAME`, else `default` (the un-prefixed API). Every call but the
 * list of workspaces goes to `/api/v1/workspaces/NAME/…`.
 */
export const WORKSPACE: string = ((): string => {
  const asked = new URLSearchParams(location.search).get("workspace");
  return asked && /^[a-z][a-z0-9-]{0,62}$/.test(asked) ? asked : "default";
})();

function scoped(path: string): string {
  if (WORKSPACE === "default" || !path.startsWith("/api/v1/") || path.startsWith("/api/v1/workspaces"))
    return path;
  return `/api/v1/workspaces/${WORKSPACE}/${path.slice("/api/v1/".length)}`;
}

/** An answer the server refused, with its stable error code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let token: string | null = sessionStorage.getItem(TOKEN_KEY);

export function setToken(value: string | null): void {
  token = value;
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export function hasToken(): boolean {
  return token !== null;
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  return token ? { ...extra, Authorization: `Bearer ${token}` } : extra;
}

async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(scoped(path), {
    ...init,
    headers: headers((init.headers as Record<string, string> | undefined) ?? {}),
    cache: "no-store",
    credentials: "omit",
  });
  if (res.ok) return res;
  let code = "E_HTTP";
  let message = `the server answered ${res.status}`;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    code = body.error?.code ?? code;
    message = body.error?.message ?? message;
  } catch {
    // not our JSON error body (a proxy's page): keep the status
  }
  throw new ApiError(res.status, code, message);
}

export async function getJson<T>(path: string): Promise<T> {
  return (await (await request(path)).json()) as T;
}

export async function postJson<T>(path: string, body: unknown): Promise<T> {
  const res = await request(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return (await res.json()) as T;
}

export async function getBytes(path: string): Promise<ArrayBuffer> {
  return (await request(path)).arrayBuffer();
}

export type StreamState = "connecting" | "live" | "reconnecting";

export interface StreamHandlers {
  /** the stream is open: anything missed before is now safe to reload */
  onOpen(): void;
  onEvent(type: string, event: DeploymentEvent): void;
  onState(state: StreamState): void;
  /** the server refused the token: the stream stops until restarted */
  onUnauthorized(error: ApiError): void;
}

/** Reads `/api/v1/events` until stopped, reconnecting with Last-Event-ID after a drop. */
export function streamEvents(handlers: StreamHandlers): { stop(): void } {
  const controller = new AbortController();
  let lastId: string | null = null;
  let retryMs = 2000;
  const run = async (): Promise<void> => {
    while (!controller.signal.aborted) {
      handlers.onState(lastId === null ? "connecting" : "reconnecting");
      try {
        const res = await request("/api/v1/events", {
          headers: { Accept: "text/event-stream", ...(lastId ? { "Last-Event-ID": lastId } : {}) },
          signal: controller.signal,
        });
        if (!res.body) throw new Error("no body");
        handlers.onState("live");
        handlers.onOpen();
        lastId ??= "";
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value.replace(/\r\n?/g, "\n");
          let end: number;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const frame = parseSseBlock(block);
            if (frame.retry) retryMs = frame.retry;
            if (frame.id !== null) lastId = frame.id;
            if (frame.data !== null) handlers.onEvent(frame.event, JSON.parse(frame.data) as DeploymentEvent);
          }
        }
      } catch (err) {
        if (controller.signal.aborted) return;
        if (err instanceof ApiError && err.status === 401) {
          handlers.onUnauthorized(err);
          return;
        }
      }
      handlers.onState("reconnecting");
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  };
  void run();
  return { stop: () => controller.abort() };
}
