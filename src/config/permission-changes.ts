/**
 * How an agent's `[permissions]` moved between two configs: each field narrowed (the agent may now do less:
 * file or network access lowered, a memory or CPU limit set or lowered) or widened (it may do more). A
 * narrowing can break an agent that relied on what it lost; a widening grants it more than before, which a
 * reviewer wants to see. An absent table or field is the guide's default (access) or no limit (limits).
 * Pure.
 */
import { GUIDE_DEFAULTS } from "./agent-guide-tables.js";
import { parseDuration, parseSize } from "./duration-size.js";

/** Access levels, least first. */
const FILE_ACCESS = ["none", "readonly", "readwrite"] as const;
const NETWORK_ACCESS = ["none", "restricted", "full"] as const;

export interface Permissions {
  file_access?: string;
  network_access?: string;
  memory_limit?: string;
  cpu_limit?: string;
}

export interface PermissionMove {
  /** dotted field, e.g. `permissions.network_access` */
  field: string;
  direction: "narrowed" | "widened";
  before: string;
  after: string;
}

const UNLIMITED = "no limit";

/** Every field whose permission moved, narrowed or widened, in the table's order. */
export function permissionChanges(
  before: Permissions | undefined,
  after: Permissions | undefined,
): PermissionMove[] {
  const moves: PermissionMove[] = [];
  const level = (field: "file_access" | "network_access", order: readonly string[]) => {
    const fallback = GUIDE_DEFAULTS.permissions[field];
    const b = before?.[field] ?? fallback;
    const a = after?.[field] ?? fallback;
    const rank = order.indexOf(a) - order.indexOf(b);
    if (rank !== 0) moves.push(move(field, rank < 0, b, a));
  };
  const limit = (field: "memory_limit" | "cpu_limit", parse: (s: string) => number | null) => {
    const b = before?.[field];
    const a = after?.[field];
    const amount = (v: string | undefined) => (v === undefined ? Infinity : (parse(v) ?? Infinity));
    const diff = amount(a) - amount(b);
    if (diff !== 0 && !Number.isNaN(diff)) moves.push(move(field, diff < 0, b ?? UNLIMITED, a ?? UNLIMITED));
  };
  level("file_access", FILE_ACCESS);
  level("network_access", NETWORK_ACCESS);
  limit("memory_limit", parseSize);
  limit("cpu_limit", parseDuration);
  return moves;
}

function move(field: string, narrowed: boolean, before: string, after: string): PermissionMove {
  return { field: `permissions.${field}`, direction: narrowed ? "narrowed" : "widened", before, after };
}

/** The plan's reason line for a move: "`permissions.file_access` narrowed: readwrite → readonly". */
export function describeMove(m: PermissionMove): string {
  return `\`${m.field}\` ${m.direction}: ${m.before} → ${m.after}`;
}
