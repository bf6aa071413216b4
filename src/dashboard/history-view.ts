/**
 * The deployment history: each deployment with who, when, git and counts; its changed files against its
 * parent on demand, each file's diff on click; and a rollback that first shows what it would change.
 */
import type { AgentPlan, HistoryEntry } from "../protocol/messages.js";
import type { DeploymentChanges } from "../server/deployment-changes.js";
import { getJson, postJson } from "./api.js";
import { byId, checksumEl, countsEl, h, replaceChildren, timeEl } from "./dom.js";
import { showDiff } from "./diff-view.js";

/** A deployment's change against its parent never changes: fetched once per page. */
const changesOf = new Map<number, Promise<DeploymentChanges>>();

/** Open "changes" panels survive a re-render (a live update must not collapse what someone reads). */
const expanded = new Set<number>();

export function renderHistory(
  entries: HistoryEntry[],
  liveId: number | null,
  notify: (text: string) => void,
): void {
  const box = byId("history");
  if (entries.length === 0) {
    replaceChildren(box, h("p", { class: "muted" }, "No deployments yet."));
    return;
  }
  replaceChildren(
    box,
    h(
      "ol",
      { class: "history" },
      ...entries.map((e) => {
        const panel = h("div", { class: "changes", hidden: !expanded.has(e.id) });
        if (expanded.has(e.id)) void loadChanges(e, panel);
        const toggle = h(
          "button",
          {
            type: "button",
            class: "ghost changes-toggle",
            "aria-expanded": String(expanded.has(e.id)),
            onclick: () => {
              const open = !expanded.has(e.id);
              if (open) expanded.add(e.id);
              else expanded.delete(e.id);
              toggle.setAttribute("aria-expanded", String(open));
              panel.hidden = !open;
              if (open) void loadChanges(e, panel);
            },
          },
          "Changes",
        );
        const isLive = e.id === liveId;
        return h(
          "li",
          { class: `deployment${isLive ? " live" : ""}`, "data-deployment": e.id },
          h(
            "div",
            { class: "deployment-head" },
            h("strong", {}, `#${e.id}`),
            h(
              "span",
              { class: "tag" },
              e.kind === "rollback" && e.rollback_of ? `rollback to #${e.rollback_of}` : e.kind,
            ),
            isLive ? h("span", { class: "tag live" }, "live") : null,
            checksumEl(e.checksum),
            h("span", {}, e.deployed_by ?? "unknown"),
            timeEl(e.time),
            e.git
              ? h(
                  "span",
                  { class: "muted" },
                  `${e.git.commit.slice(0, 8)}${e.git.branch ? ` ${e.git.branch}` : ""}${e.git.dirty ? " (dirty)" : ""}`,
                )
              : null,
            countsEl(e),
            h("span", { class: "spacer" }),
            toggle,
            isLive || liveId === null
              ? null
              : h(
                  "button",
                  {
                    type: "button",
                    class: "danger-ghost rollback",
                    onclick: () => void confirmRollback(e, liveId, notify),
                  },
                  "Roll back to this",
                ),
          ),
          e.message ? h("p", { class: "message" }, e.message) : null,
          e.plan ? planEl(e.plan) : null,
          panel,
        );
      }),
    ),
  );
}

/** What the deployment meant for its agents: its impact, then each agent and MCP server with its own. */
function planEl(plan: AgentPlan): HTMLElement | null {
  if (plan.impact === null) return null;
  const entry = (name: string, change: string, impact: string, detail: string[]) =>
    h(
      "span",
      { class: `plan-entry ${impact}`, title: [impact, ...detail].join("; ") },
      `${name} (${change})`,
    );
  return h(
    "p",
    { class: "plan" },
    h("span", { class: `tag impact ${plan.impact}` }, plan.impact),
    ...plan.agents.map((a) => entry(a.name, a.change, a.impact, [...a.fields, ...a.reasons])),
    ...plan.mcp_servers.map((m) => entry(`MCP ${m.name}`, m.change, m.impact, m.reasons)),
    plan.agents_omitted ? h("span", { class: "muted" }, `and ${plan.agents_omitted} more`) : null,
  );
}

async function loadChanges(entry: HistoryEntry, panel: HTMLElement): Promise<void> {
  if (panel.dataset.loaded) return;
  panel.dataset.loaded = "1";
  replaceChildren(panel, h("p", { class: "muted" }, "loading…"));
  let pending = changesOf.get(entry.id);
  if (!pending) {
    pending = getJson<DeploymentChanges>(`/api/v1/deployments/${entry.id}/changes`);
    changesOf.set(entry.id, pending);
    pending.catch(() => changesOf.delete(entry.id));
  }
  try {
    const changes = await pending;
    const against = changes.base ? `against #${changes.base.deployment_id}` : "against an empty server";
    replaceChildren(
      panel,
      h(
        "p",
        { class: "muted" },
        `${changes.files.length} file(s) changed ${against}${changes.truncated ? " (list truncated)" : ""}`,
      ),
      h(
        "ul",
        { class: "file-list" },
        ...changes.files.map((f) =>
          h(
            "li",
            {},
            h("span", { class: `change ${f.change}` }, f.change),
            " ",
            h(
              "button",
              {
                type: "button",
                class: "link file",
                "data-path": f.path,
                onclick: () => void showDiff(f, `deployment #${entry.id} ${against}`),
              },
              f.path,
            ),
          ),
        ),
      ),
    );
  } catch (err) {
    delete panel.dataset.loaded;
    replaceChildren(panel, h("p", { class: "error" }, (err as Error).message));
  }
}

async function confirmRollback(
  target: HistoryEntry,
  liveId: number,
  notify: (text: string) => void,
): Promise<void> {
  const dialog = byId<HTMLDialogElement>("rollback-dialog");
  const files = byId("rollback-files");
  const error = byId("rollback-error");
  const confirm = byId<HTMLButtonElement>("rollback-confirm");
  byId("rollback-title").textContent = `Roll back to deployment #${target.id}?`;
  byId("rollback-summary").textContent = "Working out what it would change…";
  replaceChildren(files);
  error.hidden = true;
  confirm.disabled = true;
  if (!dialog.open) dialog.showModal();
  try {
    // the change from the live deployment to the target: exactly what the rollback applies
    const changes = await getJson<DeploymentChanges>(
      `/api/v1/deployments/${target.id}/changes?base=${liveId}`,
    );
    const count = (c: string): number => changes.files.filter((f) => f.change === c).length;
    byId("rollback-summary").textContent =
      changes.files.length === 0
        ? `Deployment #${target.id} has the same content as the live #${liveId}: no file would change.`
        : `This makes #${target.id} (${target.checksum.slice(0, 12)}) live in place of #${liveId}, changing ${changes.files.length} file(s): ${count("modified")} modified, ${count("added")} added, ${count("deleted")} deleted.`;
    replaceChildren(
      files,
      ...changes.files
        .slice(0, 50)
        .map((f) => h("li", {}, h("span", { class: `change ${f.change}` }, f.change), " ", f.path)),
      changes.files.length > 50 ? h("li", { class: "muted" }, `and ${changes.files.length - 50} more`) : null,
    );
    confirm.disabled = false;
  } catch (err) {
    byId("rollback-summary").textContent = "";
    error.textContent = (err as Error).message;
    error.hidden = false;
    return;
  }
  const form = byId<HTMLFormElement>("rollback-form");
  form.onsubmit = async (e) => {
    e.preventDefault();
    confirm.disabled = true;
    try {
      const result = await postJson<{ deployment_id: number }>("/api/v1/rollback", {
        target: String(target.id),
        deployed_by: "dashboard",
      });
      dialog.close();
      notify(`Rolled back to #${target.id}: deployment #${result.deployment_id} is live.`);
    } catch (err) {
      error.textContent = (err as Error).message;
      error.hidden = false;
      confirm.disabled = false;
    }
  };
}
