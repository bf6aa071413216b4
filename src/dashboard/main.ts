/**
 * The dashboard: what is live, who changed it and when, the history with per-file diffs, and rollback. It
 * loads everything from the JSON API and reloads when the event stream reports a deployment, so a deploy
 * from the CLI shows without a reload. A server with a token answers 401 until the page has one: it then
 * asks for it.
 */
import type { HistoryEntry } from "../protocol/messages.js";
import type { DeploymentEvent } from "../server/event-hub.js";
import { ApiError, getJson, hasToken, setToken, streamEvents, WORKSPACE, type StreamState } from "./api.js";
import { byId, wireDialog } from "./dom.js";
import { renderHistory } from "./history-view.js";
import { renderAgents, renderLive, type AgentSummary, type LiveDeployment } from "./live-view.js";

let agents: AgentSummary[] = [];
let stream: { stop(): void } | null = null;

async function load(): Promise<void> {
  const [live, history, list] = await Promise.all([
    getJson<LiveDeployment>("/api/v1/deployment").catch((err: unknown) => {
      if (err instanceof ApiError && err.code === "E_NOT_FOUND") return null;
      throw err;
    }),
    getJson<{ deployments: HistoryEntry[] }>("/api/v1/deployments?limit=50"),
    getJson<{ agents: AgentSummary[] }>("/api/v1/agents"),
  ]);
  agents = list.agents;
  renderLive(
    live,
    history.deployments.find((d) => d.id === live?.deployment_id),
  );
  renderAgents(agents, byId<HTMLInputElement>("agent-search").value);
  renderHistory(history.deployments, live?.deployment_id ?? null, notify);
  document.body.dataset.liveDeployment = String(live?.deployment_id ?? "");
  byId("app").hidden = false;
  byId("error").hidden = true;
  byId("token-button").hidden = !hasToken();
}

/** Reloads, coalescing bursts: one reload runs at a time, and one more follows if asked for meanwhile. */
let running: Promise<void> | null = null;
let again = false;
function refresh(): void {
  if (running) {
    again = true;
    return;
  }
  running = load()
    .catch(failed)
    .finally(() => {
      running = null;
      if (again) {
        again = false;
        refresh();
      }
    });
}

function failed(err: unknown): void {
  if (err instanceof ApiError && err.status === 401) {
    askForToken(hasToken() ? err.message : null);
    return;
  }
  const banner = byId("error");
  banner.textContent = `Could not load from the server: ${(err as Error).message}`;
  banner.hidden = false;
}

function askForToken(problem: string | null): void {
  stream?.stop();
  stream = null;
  setStreamState("connecting", "needs a token");
  byId("app").hidden = true;
  const dialog = byId<HTMLDialogElement>("token-dialog");
  const error = byId("token-error");
  error.textContent = problem ?? "";
  error.hidden = problem === null;
  if (!dialog.open) dialog.showModal();
  byId<HTMLInputElement>("token-input").focus();
}

let noticeTimer: ReturnType<typeof setTimeout> | undefined;
function notify(text: string): void {
  const el = byId("notice");
  el.textContent = text;
  el.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => (el.hidden = true), 15_000);
}

function describe(type: string, e: DeploymentEvent): string {
  const agentsText = e.changed_agents.length ? ` (agents: ${e.changed_agents.slice(0, 5).join(", ")})` : "";
  if (type === "deployment.rejected")
    return `A deployment was rejected with ${e.errors ?? 0} error(s); nothing changed.`;
  const verb = type === "deployment.rolled_back" ? "rolled back" : "applied";
  return `Deployment #${e.deployment_id} ${verb}: +${e.added} ~${e.modified} -${e.deleted}${agentsText}.`;
}

function setStreamState(state: StreamState, label?: string): void {
  const pill = byId("stream-state");
  pill.dataset.state = state;
  pill.textContent =
    label ?? (state === "live" ? "live" : state === "connecting" ? "connecting…" : "reconnecting…");
}

/** The picker: the workspaces this token may see; choosing one reloads the page for it (`?workspace=`). */
async function fillPicker(): Promise<void> {
  const picker = byId<HTMLSelectElement>("workspace-picker");
  const { workspaces } = await getJson<{ workspaces: { name: string }[] }>("/api/v1/workspaces");
  const names = [...new Set([...workspaces.map((w) => w.name), WORKSPACE])].sort();
  picker.replaceChildren(
    ...names.map((name) => {
      const option = document.createElement("option");
      option.value = name;
      option.textContent = name;
      option.selected = name === WORKSPACE;
      return option;
    }),
  );
  picker.hidden = names.length < 2 && WORKSPACE === "default";
}

function start(): void {
  void fillPicker().catch(() => {});
  stream?.stop();
  stream = streamEvents({
    // (re)connected: reload, so nothing that happened while the stream was down is missed
    onOpen: refresh,
    onEvent: (type, event) => {
      notify(describe(type, event));
      refresh();
    },
    onState: setStreamState,
    onUnauthorized: (err) => askForToken(hasToken() ? err.message : null),
  });
}

function main(): void {
  for (const id of ["agent-dialog", "diff-dialog", "rollback-dialog"])
    wireDialog(byId<HTMLDialogElement>(id));
  byId("token-button").addEventListener("click", () => askForToken(null));
  byId<HTMLSelectElement>("workspace-picker").addEventListener("change", (e) => {
    const name = (e.target as HTMLSelectElement).value;
    location.search = name === "default" ? "" : `?workspace=${encodeURIComponent(name)}`;
  });
  byId<HTMLInputElement>("agent-search").addEventListener("input", (e) =>
    renderAgents(agents, (e.target as HTMLInputElement).value),
  );
  byId<HTMLFormElement>("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = byId<HTMLInputElement>("token-input");
    setToken(input.value.trim() || null);
    load()
      .then(() => {
        byId<HTMLDialogElement>("token-dialog").close();
        input.value = "";
        start();
      })
      .catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 401) askForToken(err.message);
        else failed(err);
      });
  });
  start();
}

main();
