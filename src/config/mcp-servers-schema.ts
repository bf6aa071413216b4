/**
 * The shape of `tools/mcp_servers.toml` (the spec's own choice; Caxton names the file but gives no schema):
 * `[servers.<name>]` tables, each a stdio server (`command`, optional `args` and `env`) or a remote one
 * (`url`). zod checks the field types; the rules that relate keys to each other (exactly one transport) and
 * the server names (table keys, which zod reports without a position worth having) are checked in code.
 */
import * as z from "zod";
import type { Diagnostic } from "../errors/caxton-error.js";
import { isValidMcpServerName } from "./agent-value-rules.js";
import { makeDiagnostic } from "./diagnostic-codes.js";
import type { PositionIndex } from "./position-index.js";
import { addCheckIssue, table, type KeyTree } from "./schema-diagnostics.js";
import { displayPath, isTable } from "./toml-values.js";

export function isHttpUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "";
  } catch {
    return false;
  }
}

export const mcpServerShape = {
  command: z
    .string()
    .superRefine((v, ctx) => {
      if (v.trim() === "") addCheckIssue(ctx, "E_MCP_BAD_VALUE", "{key} must not be empty");
    })
    .optional(),
  url: z
    .string()
    .superRefine((v, ctx) => {
      if (!isHttpUrl(v))
        addCheckIssue(
          ctx,
          "E_MCP_BAD_URL",
          `invalid URL ${JSON.stringify(v)} in {key}: must be an http or https URL`,
          'e.g. "https://search.example.com/mcp"',
        );
    })
    .optional(),
  args: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()).optional(),
};

export const mcpServersSchema = z.object({
  servers: z.record(z.string(), table(mcpServerShape)).optional(),
});

export type McpServersConfig = z.output<typeof mcpServersSchema>;

export const MCP_KEY_TREE: KeyTree = {
  keys: { servers: { each: { keys: { command: null, url: null, args: null, env: null } } } },
};

/** Server names and the one-transport rule, on the parsed (not yet schema-checked) document. */
export function mcpServerDiagnostics(file: string, data: unknown, index: PositionIndex): Diagnostic[] {
  const out: Diagnostic[] = [];
  const servers = isTable(data) ? data["servers"] : undefined;
  if (!isTable(servers)) return out;
  for (const [name, server] of Object.entries(servers)) {
    const path = ["servers", name];
    const at = index.nearest(path, "key");
    if (!isValidMcpServerName(name)) {
      const fixed = name
        .toLowerCase()
        .replace(/[^a-z0-9_]+/g, "_")
        .replace(/_+/g, "_")
        .replace(/^[^a-z]+|_+$/g, "");
      out.push(
        makeDiagnostic(
          file,
          at,
          "E_MCP_BAD_SERVER_NAME",
          `invalid MCP server name ${JSON.stringify(name)}: must match ^[a-z][a-z0-9_]*$ with no "__"`,
          isValidMcpServerName(fixed)
            ? `use lowercase letters, digits and single underscores, e.g. [servers.${fixed}]`
            : "use lowercase letters, digits and single underscores, starting with a letter",
        ),
      );
    }
    if (!isTable(server)) continue; // reported by the schema
    const hasCommand = Object.hasOwn(server, "command");
    const hasUrl = Object.hasOwn(server, "url");
    const shown = displayPath([name]);
    if (!hasCommand && !hasUrl) {
      out.push(
        makeDiagnostic(
          file,
          at,
          "E_MCP_NO_TRANSPORT",
          `MCP server \`${shown}\` has neither \`command\` nor \`url\``,
          'add `command = "..."` for a stdio server or `url = "https://..."` for a remote one',
        ),
      );
    } else if (hasCommand && hasUrl) {
      out.push(
        makeDiagnostic(
          file,
          index.nearest([...path, "url"], "key"),
          "E_MCP_BOTH_TRANSPORTS",
          `MCP server \`${shown}\` has both \`command\` and \`url\``,
          "keep `command` for a stdio server or `url` for a remote one, not both",
        ),
      );
    } else if (hasUrl) {
      for (const key of ["args", "env"]) {
        if (!Object.hasOwn(server, key)) continue;
        out.push(
          makeDiagnostic(
            file,
            index.nearest([...path, key], "key"),
            "W_MCP_UNUSED_KEY",
            `\`${displayPath([...path, key])}\` is ignored: \`${shown}\` is a url server, not a stdio one`,
            `remove \`${key}\`, or use \`command\` instead of \`url\``,
          ),
        );
      }
    }
  }
  return out;
}
