/** The live deployment and its agents: a searchable table, and each agent's full configuration on click. */
import type { HistoryEntry } from "../protocol/messages.js";
import { getJson } from "./api.js";
import { matchesAgent, type AgentSummary } from "./agent-search.js";
import { byId, countsEl, h, replaceChildren, timeEl } from "./dom.js";

export type { AgentSummary };

/** A fleet of thousands stays responsive: the table shows this many rows, the search reaches all. */
const MAX_ROWS = 500;

export interface LiveDeployment {
  deployment_id: number;
  checksum: string;
  time: string;
  kind: string;
  added: number;
  modified: number;
  deleted: number;
  deployed_by: string | null;
  agents: number;
}

export function renderLive(live: LiveDeployment | null, entry: HistoryEntry | undefined): void {
  const box = byId("live");
  if (!live) {
    replaceChildren(box, h("p", { class: "muted", id: "live-empty" }, "Nothing has been deployed yet."));
    return;
  }
  const git = entry?.git;
  const row = (label: string, ...value: (Node | string)[]): HTMLElement[] => [
    h("dt", {}, label),
    h("dd", {}, ...value),
  ];
  replaceChildren(
    box,
    h(
      "dl",
      { class: "facts", "data-deployment-id": live.deployment_id },
      ...row(
        "Deployment",
        h("strong", { id: "live-id" }, `#${live.deployment_id}`),
        " ",
        h("span", { class: "tag" }, live.kind),
      ),
      ...row(
        "Checksum",
        h("code", { id: "live-checksum", class: "checksum", title: live.checksum }, live.checksum),
      ),
      ...row("Deployed by", h("span", { id: "live-who" }, live.deployed_by ?? "unknown")),
      ...row("When", timeEl(live.time)),
      ...row(
        "Git",
        git
          ? h(
              "span",
              { id: "live-git" },
              h("code", {}, git.commit.slice(0, 12)),
              git.branch ? ` on ${git.branch}` : " (detached)",
              git.dirty ? h("span", { class: "tag warn" }, "dirty") : "",
            )
          : h("span", { class: "muted", id: "live-git" }, "not from a git checkout"),
      ),
      ...row("Changes", countsEl(live)),
      ...row("Agents", String(live.agents)),
      ...(entry?.message ? row("Message", entry.message) : []),
    ),
  );
}

export function renderAgents(agents: AgentSummary[], query: string): void {
  const shown = agents.filter((a) => matchesAgent(a, query));
  byId("agent-count").textContent = query.trim() ? `${shown.length} of ${agents.length}` : `${agents.length}`;
  const box = byId("agents");
  if (agents.length === 0) {
    replaceChildren(box, h("p", { class: "muted" }, "No agents are live."));
    return;
  }
  const list = (items: string[], cls: string): HTMLElement =>
    h("span", { class: "chips" }, ...items.map((i) => h("span", { class: `chip ${cls}` }, i)));
  replaceChildren(
    box,
    h(
      "table",
      { class: "agents" },
      h(
        "thead",
        {},
        h("tr", {}, ...["Name", "Version", "Model", "Capabilities", "Tools"].map((t) => h("th", {}, t))),
      ),
      h(
        "tbody",
        {},
        ...shown.slice(0, MAX_ROWS).map((a) =>
          h(
            "tr",
            {
              class: "agent-row",
              "data-agent": a.name,
              tabindex: 0,
              onclick: () => void showAgent(a.name),
              onkeydown: (e) => {
                if ((e as KeyboardEvent).key === "Enter") void showAgent(a.name);
              },
            },
            h("td", {}, h("button", { type: "button", class: "link" }, a.name)),
            h("td", {}, a.version),
            h("td", {}, a.model ?? h("span", { class: "muted" }, "—")),
            h("td", {}, list(a.capabilities, "cap")),
            h("td", {}, list(a.tools, "tool")),
          ),
        ),
      ),
    ),
    shown.length === 0 ? h("p", { class: "muted" }, `No agent matches “${query}”.`) : null,
    shown.length > MAX_ROWS
      ? h("p", { class: "muted" }, `Showing the first ${MAX_ROWS} of ${shown.length}: search to narrow.`)
      : null,
  );
}

async function showAgent(name: string): Promise<void> {
  const dialog = byId<HTMLDialogElement>("agent-dialog");
  byId("agent-title").textContent = name;
  byId("agent-meta").textContent = "loading…";
  byId("agent-config").textContent = "";
  if (!dialog.open) dialog.showModal();
  try {
    const agent = await getJson<{ path: string; file_checksum: string; config: unknown }>(
      `/api/v1/agents/${encodeURIComponent(name)}`,
    );
    byId("agent-meta").textContent =
      `${agent.path} · ${agent.file_checksum.slice(0, 12)} · parsed, with defaults filled in`;
    byId("agent-config").textContent = JSON.stringify(agent.config, null, 2);
  } catch (err) {
    byId("agent-meta").textContent = (err as Error).message;
  }
}
