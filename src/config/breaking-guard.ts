/**
 * The breaking-change policy: a workspace whose caxton.toml sets `[deploy] require_allow_breaking = true`
 * asks the server to refuse a deployment whose agent-aware plan has a breaking change, unless the deployer
 * passed `--allow-breaking` (or confirmed on a terminal). The server judges against what is live at that
 * moment, as the deletion guard does, so a deploy racing another is judged on what it really changes.
 * Also here: the capped copy of a plan the deployment record keeps.
 */
import { CaxtonError } from "../errors/caxton-error.js";
import type { AgentPlan } from "../protocol/messages.js";

/** Agents kept in a stored plan; the rest are counted in `agents_omitted`. */
const STORED_AGENTS = 200;

/** Throws E_BREAKING_CHANGE when the plan has a breaking change; its detail is the plan. */
export function refuseBreaking(plan: AgentPlan): void {
  if (plan.impact !== "breaking") return;
  const agents = plan.agents.filter((a) => a.impact === "breaking").map((a) => a.name);
  const servers = plan.mcp_servers.filter((m) => m.impact === "breaking").map((m) => m.name);
  const what = [
    agents.length > 0 ? `agent${agents.length === 1 ? "" : "s"} ${list(agents)}` : "",
    servers.length > 0 ? `MCP server${servers.length === 1 ? "" : "s"} ${list(servers)}` : "",
  ]
    .filter(Boolean)
    .join(" and ");
  throw new CaxtonError(
    "E_BREAKING_CHANGE",
    `this deployment has breaking changes to ${what}; nothing was applied`,
    {
      detail: { plan: storedPlan(plan) },
    },
  );
}

function list(names: string[]): string {
  const shown = names.slice(0, 5).join(", ");
  return names.length > 5 ? `${shown} and ${names.length - 5} more` : shown;
}

/** The plan as the deployment record keeps it: prompt word diffs dropped, at most STORED_AGENTS agents. */
export function storedPlan(plan: AgentPlan): AgentPlan {
  // the most serious first, so a capped record still names what broke
  const order = { breaking: 0, compatible: 1, cosmetic: 2 } as const;
  const agents = [...plan.agents].sort((x, y) => order[x.impact] - order[y.impact]);
  const kept = agents.slice(0, STORED_AGENTS).map(({ prompts: _prompts, ...rest }) => rest);
  kept.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  return {
    impact: plan.impact,
    agents: kept,
    mcp_servers: plan.mcp_servers,
    ...(agents.length > STORED_AGENTS ? { agents_omitted: agents.length - STORED_AGENTS } : {}),
  };
}
