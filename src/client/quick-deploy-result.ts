/**
 * The server's answer to a deploy, checked by hand: the same value `DeployResultSchema.parse` returns
 * (protocol/messages.ts: known keys only, in the schema's order), or null when it is not certainly valid,
 * and the caller then parses with the zod schema, whose failure is the error a user reads. Hand-written
 * so that a one-agent deploy does not load zod and build every message schema just to read one answer
 * (~100M instructions, as much as the rest of the client's modules); the local validation does the same
 * (config/quick-check.ts). test/client/quick-deploy-result.property.test.ts checks that it returns null
 * exactly when zod fails, and zod's own value otherwise.
 */
import type { DeployResult } from "../protocol/messages.js";
import { AGENT_CHANGES, IMPACTS, MCP_SERVER_CHANGES } from "../protocol/plan-kinds.js";

/** a reason to give up: the caller runs the zod schema */
class NotCertain extends Error {}

type Obj = Record<string, unknown>;

function fail(): never {
  throw new NotCertain();
}
function object(v: unknown): Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : fail();
}
function string(v: unknown): string {
  return typeof v === "string" ? v : fail();
}
function boolean(v: unknown): boolean {
  return typeof v === "boolean" ? v : fail();
}
function number(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? v : fail();
}
function int(v: unknown): number {
  return Number.isSafeInteger(v) ? (v as number) : fail();
}
function oneOf<T extends string>(choices: readonly T[], v: unknown): T {
  return choices.includes(v as T) ? (v as T) : fail();
}
function nullable<T>(read: (v: unknown) => T, v: unknown): T | null {
  return v === null ? null : read(v);
}
function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map(string) : fail();
}
function list<T>(read: (v: unknown) => T, v: unknown): T[] {
  return Array.isArray(v) ? v.map(read) : fail();
}
/** the key when present, as zod writes an optional one (absent stays absent; JSON has no undefined) */
function optional<T>(o: Obj, key: string, read: (v: unknown) => T): Record<string, T> {
  return o[key] === undefined ? {} : { [key]: read(o[key]) };
}
function sha256(v: unknown): string {
  return /^[0-9a-f]{64}$/.test(string(v)) ? (v as string) : fail();
}

function diagnostic(v: unknown) {
  const o = object(v);
  return {
    path: string(o["path"]),
    line: nullable(int, o["line"]),
    column: nullable(int, o["column"]),
    severity: oneOf(["error", "warning"] as const, o["severity"]),
    code: string(o["code"]),
    message: string(o["message"]),
    suggestion: nullable(string, o["suggestion"]),
  };
}

function promptChange(v: unknown) {
  const o = object(v);
  return {
    field: string(o["field"]),
    length_before: int(o["length_before"]),
    length_after: int(o["length_after"]),
    word_diff: string(o["word_diff"]),
  };
}

function agentChange(v: unknown) {
  const o = object(v);
  return {
    name: string(o["name"]),
    path: string(o["path"]),
    change: oneOf(AGENT_CHANGES, o["change"]),
    impact: oneOf(IMPACTS, o["impact"]),
    fields: strings(o["fields"]),
    reasons: strings(o["reasons"]),
    ...optional(o, "renamed_from", string),
    ...optional(o, "prompts", (p) => list(promptChange, p)),
  };
}

function mcpServerChange(v: unknown) {
  const o = object(v);
  return {
    name: string(o["name"]),
    change: oneOf(MCP_SERVER_CHANGES, o["change"]),
    impact: oneOf(IMPACTS, o["impact"]),
    fields: strings(o["fields"]),
    reasons: strings(o["reasons"]),
    agents: strings(o["agents"]),
  };
}

function agentPlan(v: unknown) {
  const o = object(v);
  return {
    impact: nullable((i) => oneOf(IMPACTS, i), o["impact"]),
    agents: list(agentChange, o["agents"]),
    mcp_servers: list(mcpServerChange, o["mcp_servers"]),
    ...optional(o, "agents_omitted", int),
  };
}

export function quickDeployResult(value: unknown): DeployResult | null {
  try {
    const o = object(value);
    return {
      success: o["success"] === true ? true : fail(),
      dry_run: boolean(o["dry_run"]),
      up_to_date: boolean(o["up_to_date"]),
      deployment_id: nullable(int, o["deployment_id"]),
      deployed_checksum: sha256(o["deployed_checksum"]),
      previous_checksum: nullable(sha256, o["previous_checksum"]),
      changes_applied: int(o["changes_applied"]),
      added: strings(o["added"]),
      modified: strings(o["modified"]),
      deleted: strings(o["deleted"]),
      warnings: list(diagnostic, o["warnings"]),
      timestamp: string(o["timestamp"]),
      validation_ms: number(o["validation_ms"]),
      apply_ms: number(o["apply_ms"]),
      ...optional(o, "plan", agentPlan),
    };
  } catch (err) {
    if (err instanceof NotCertain) return null;
    throw err;
  }
}
