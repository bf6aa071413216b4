/**
 * The agent-aware plan (config/plan-agent-changes.ts) as lines for a person, and as the `--json` fields:
 *
 *   Agents: 1 breaking, 1 compatible
 *     ~ coordinator   breaking     tools.available, llm.temperature
 *         tool `delegate_task` removed
 *         user_prompt_template: 42 → 51 chars (+9): Request: [-{{request}}-]{+{{task}}+} …
 *     + planner       compatible   agent added
 *   MCP servers:
 *     ~ git           breaking     `command` changed; used by code-reviewer, researcher
 */
import type { ErrorDetail } from "../errors/error-codes.js";
import type { AgentPlan, Impact } from "../protocol/messages.js";
import { style, type style as styleOf } from "./style.js";

type Style = ReturnType<typeof styleOf>;

/** Agents listed one per line; past this, the breaking ones first and a count of the rest. */
const MAX_LISTED = 50;

export function planLines(plan: AgentPlan, s: Style, options: { prompts?: boolean } = {}): string[] {
  if (plan.agents.length === 0 && plan.mcp_servers.length === 0) return [];
  const lines: string[] = [];
  const counts = (["breaking", "compatible", "cosmetic"] as const)
    .map((i) => [i, plan.agents.filter((a) => a.impact === i).length] as const)
    .filter(([, n]) => n > 0)
    .map(([i, n]) => `${n} ${i}`);
  const omitted = plan.agents_omitted ? ` (${plan.agents_omitted} more not listed)` : "";
  const width = Math.min(
    32,
    Math.max(0, ...plan.agents.map((a) => a.name.length), ...plan.mcp_servers.map((m) => m.name.length)),
  );
  if (plan.agents.length > 0) {
    lines.push(`Agents: ${counts.join(", ")}${omitted}`);
    // a first deploy of a large fleet lists thousands of added agents: show the serious ones, count the rest
    const shown =
      plan.agents.length <= MAX_LISTED
        ? plan.agents
        : [
            ...plan.agents.filter((a) => a.impact === "breaking"),
            ...plan.agents.filter((a) => a.impact !== "breaking"),
          ].slice(0, MAX_LISTED);
    for (const a of shown) {
      const what =
        a.change === "renamed"
          ? `renamed from ${a.renamed_from ?? "?"}`
          : a.change === "modified"
            ? a.fields.length > 0
              ? a.fields.join(", ")
              : "formatting only (the parsed config is equal)"
            : `agent ${a.change}`;
      lines.push(`  ${mark(a.change, s)} ${a.name.padEnd(width)}  ${impact(a.impact, s)}  ${what}`);
      for (const r of a.reasons)
        if (!/^agent (added|removed)$/.test(r) && !r.startsWith("renamed from")) lines.push(`      ${r}`);
      if (options.prompts !== false) {
        for (const p of a.prompts ?? []) {
          const delta = p.length_after - p.length_before;
          lines.push(
            `      ${p.field}: ${p.length_before} → ${p.length_after} chars (${delta >= 0 ? "+" : ""}${delta}): ${p.word_diff}`,
          );
        }
      }
    }
  }
  if (plan.agents.length > MAX_LISTED)
    lines.push(`  … and ${plan.agents.length - MAX_LISTED} more agents (every one in --json)`);
  if (plan.mcp_servers.length > 0) {
    lines.push("MCP servers:");
    for (const m of plan.mcp_servers) {
      const why = [...m.reasons, ...(m.agents.length > 0 ? [`used by ${m.agents.join(", ")}`] : [])];
      lines.push(`  ${mark(m.change, s)} ${m.name.padEnd(width)}  ${impact(m.impact, s)}  ${why.join("; ")}`);
    }
  }
  return lines;
}

function mark(change: string, s: Style): string {
  return change === "added" ? s.green("+") : change === "removed" ? s.red("-") : s.yellow("~");
}

function impact(i: Impact, s: Style): string {
  const text = i.padEnd(10);
  return i === "breaking" ? s.red(text) : i === "compatible" ? s.yellow(text) : s.dim(text);
}

/** The plan's fields for `--json`: `impact`, `agents` and `mcp_servers` (absent from older servers). */
export function planJson(plan: AgentPlan | undefined) {
  if (!plan) return {};
  return { impact: plan.impact, agents: plan.agents, mcp_servers: plan.mcp_servers };
}

/**
 * What a refused breaking deployment would have changed (E_BREAKING_CHANGE's detail), for stderr. The plan
 * was checked against its schema where the answer was read (client/api-client.ts), so the no-change path
 * does not load zod for this.
 */
export function breakingLines(detail: ErrorDetail<"E_BREAKING_CHANGE"> | undefined): string[] {
  const plan = detail?.plan;
  return plan ? planLines(plan, style(process.stderr), { prompts: false }) : [];
}

/** One line for `caxton log`: `breaking: coordinator (modified), old-bot (removed); compatible: planner (added)`. */
export function planSummary(plan: AgentPlan): string {
  if (plan.impact === null) return "no agent changed";
  const groups = (["breaking", "compatible", "cosmetic"] as const).flatMap((i) => {
    const names = [
      ...plan.agents.filter((a) => a.impact === i).map((a) => `${a.name} (${a.change})`),
      ...plan.mcp_servers.filter((m) => m.impact === i).map((m) => `MCP ${m.name} (${m.change})`),
    ];
    if (names.length === 0) return [];
    const shown = names.length > 6 ? [...names.slice(0, 6), `${names.length - 6} more`] : names;
    return [`${i}: ${shown.join(", ")}`];
  });
  const omitted = plan.agents_omitted ? `; ${plan.agents_omitted} more agents not recorded` : "";
  return groups.join("; ") + omitted;
}
