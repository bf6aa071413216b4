/**
 * The closed sets of the agent-aware plan's wire shape (messages.ts), apart from the schemas so that a
 * reader without zod (client/quick-deploy-result.ts) checks against the same lists.
 */

/** What a change means for an agent, least to most serious (config/plan-agent-changes.ts has the rules). */
export const IMPACTS = ["cosmetic", "compatible", "breaking"] as const;
export type Impact = (typeof IMPACTS)[number];

export const AGENT_CHANGES = ["added", "modified", "removed", "renamed"] as const;
export const MCP_SERVER_CHANGES = ["added", "modified", "removed"] as const;
