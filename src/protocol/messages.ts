/**
 * JSON shapes that cross the wire, with schemas. Both sides parse what they receive with these: the server
 * never trusts a client, and the client never trusts a server.
 */
import * as z from "zod";
import { AGENT_CHANGES, IMPACTS, MCP_SERVER_CHANGES } from "./plan-kinds.js";

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "must be a lowercase hex SHA-256");

export { API_PREFIX } from "./api-prefix.js";

export const DeployHeaderSchema = z.object({
  root: sha256,
  deployed_by: z.string().max(200).optional(),
  message: z.string().max(2000).optional(),
  client_version: z.string().max(50).optional(),
  /** the root this client last deployed here, for conflict detection between deployers */
  base: sha256.nullable().optional(),
  git: z
    .object({ commit: z.string().max(64), branch: z.string().max(255).nullable(), dirty: z.boolean() })
    .optional(),
});
export type DeployHeader = z.infer<typeof DeployHeaderSchema>;

export const NegotiateHeaderSchema = z.object({ root: sha256 });
export type NegotiateHeader = z.infer<typeof NegotiateHeaderSchema>;

export const CurrentDeploymentSchema = z.object({
  deployment_id: z.number().int(),
  checksum: sha256,
  time: z.string(),
});
export type CurrentDeployment = z.infer<typeof CurrentDeploymentSchema>;

export const NegotiateResponseSchema = z.object({
  current: CurrentDeploymentSchema.nullable(),
  up_to_date: z.boolean(),
  /** base64 bitmap: bit i (LSB first within a byte) set when the server holds hash i of the request */
  have: z.string(),
});
export type NegotiateResponse = z.infer<typeof NegotiateResponseSchema>;

export const DiagnosticSchema = z.object({
  path: z.string(),
  line: z.number().int().nullable(),
  column: z.number().int().nullable(),
  severity: z.enum(["error", "warning"]),
  code: z.string(),
  message: z.string(),
  suggestion: z.string().nullable(),
});

export { IMPACTS, type Impact } from "./plan-kinds.js";

export const PromptChangeSchema = z.object({
  field: z.string(),
  length_before: z.number().int(),
  length_after: z.number().int(),
  /** changed words as `[-old-]{+new+}` with a few words of context, elided with `…` */
  word_diff: z.string(),
});

export const AgentChangeSchema = z.object({
  name: z.string(),
  path: z.string(),
  change: z.enum(AGENT_CHANGES),
  impact: z.enum(IMPACTS),
  /** dotted paths of the normalized config that differ (`llm.temperature`, `tools.available`) */
  fields: z.array(z.string()),
  /** why the impact is what it is, one short phrase each (`tool \`x\` removed`) */
  reasons: z.array(z.string()),
  renamed_from: z.string().optional(),
  prompts: z.array(PromptChangeSchema).optional(),
});
export type AgentChange = z.infer<typeof AgentChangeSchema>;

export const McpServerChangeSchema = z.object({
  name: z.string(),
  change: z.enum(MCP_SERVER_CHANGES),
  impact: z.enum(IMPACTS),
  fields: z.array(z.string()),
  reasons: z.array(z.string()),
  /** agents whose tools name this server */
  agents: z.array(z.string()),
});
export type McpServerChange = z.infer<typeof McpServerChangeSchema>;

/** The agent-aware plan of a deployment: per agent and per MCP server, what changed and what it means. */
export const AgentPlanSchema = z.object({
  /** the most serious impact of any change; null when no agent or MCP server is touched */
  impact: z.enum(IMPACTS).nullable(),
  agents: z.array(AgentChangeSchema),
  mcp_servers: z.array(McpServerChangeSchema),
  /** entries left out of `agents` when a stored plan is capped (history keeps at most a few hundred) */
  agents_omitted: z.number().int().optional(),
});
export type AgentPlan = z.infer<typeof AgentPlanSchema>;

export const DeployResultSchema = z.object({
  success: z.literal(true),
  dry_run: z.boolean(),
  up_to_date: z.boolean(),
  deployment_id: z.number().int().nullable(),
  deployed_checksum: sha256,
  previous_checksum: sha256.nullable(),
  changes_applied: z.number().int(),
  added: z.array(z.string()),
  modified: z.array(z.string()),
  deleted: z.array(z.string()),
  warnings: z.array(DiagnosticSchema),
  timestamp: z.string(),
  validation_ms: z.number(),
  apply_ms: z.number(),
  /** absent from servers that predate the agent-aware plan */
  plan: AgentPlanSchema.optional(),
});
export type DeployResult = z.infer<typeof DeployResultSchema>;

export const ErrorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    hint: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** A file changed by this deploy and, differently, by someone else since its base (E_CONFLICT's detail). */
export const DeployConflictSchema = z.object({
  path: z.string(),
  changed_by: z.string().nullable(),
  time: z.string(),
  deployment_id: z.number().int(),
});
export type DeployConflict = z.infer<typeof DeployConflictSchema>;

export const RollbackRequestSchema = z.object({
  /** a deployment id (number or digits), a checksum prefix, or null for the one before the live one */
  target: z
    .union([z.string().max(64), z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).transform(String)])
    .nullable(),
  deployed_by: z.string().max(200).optional(),
});

export const HistoryEntrySchema = z.object({
  id: z.number().int(),
  time: z.string(),
  checksum: sha256,
  kind: z.string(),
  added: z.number().int(),
  modified: z.number().int(),
  deleted: z.number().int(),
  deployed_by: z.string().nullable(),
  message: z.string().nullable(),
  git: z.object({ commit: z.string(), branch: z.string().nullable(), dirty: z.boolean() }).nullable(),
  rollback_of: z.number().int().nullable(),
  /** the agent-aware plan recorded with the deployment (capped), null for rollbacks and older records */
  plan: AgentPlanSchema.nullable().optional(),
});
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;
export const HistoryResponseSchema = z.object({ deployments: z.array(HistoryEntrySchema) });

/** `GET /api/v1/deployment` (the fields clients read; the server sends a few more) */
export const LiveDeploymentSchema = z.object({
  deployment_id: z.number().int(),
  checksum: sha256,
  time: z.string(),
  kind: z.string().nullable(),
  deployed_by: z.string().nullable(),
});

export const ManifestResponseSchema = z.object({
  deployment_id: z.number().int(),
  checksum: sha256,
  files: z.record(z.string(), sha256),
});

export const ManifestByRootSchema = z.object({ checksum: sha256, files: z.record(z.string(), sha256) });

export const HealthSchema = z.object({
  status: z.literal("ok"),
  version: z.string(),
  server_id: z.string().optional(),
});

/** `GET /api/v1/workspaces`: the server's workspaces the token may see, each with what is live there. */
export const WorkspaceSummarySchema = z.object({
  name: z.string(),
  deployment_id: z.number().int().nullable(),
  checksum: sha256.nullable(),
  agents: z.number().int(),
  /** when the live deployment was made (ISO 8601), null before the first */
  last_deploy: z.string().nullable(),
});
export type WorkspaceSummary = z.infer<typeof WorkspaceSummarySchema>;
export const WorkspaceListSchema = z.object({ workspaces: z.array(WorkspaceSummarySchema) });
export type WorkspaceList = z.infer<typeof WorkspaceListSchema>;
