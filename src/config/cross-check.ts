/**
 * The cross-file rules, over facts the per-file step extracted: agent names are unique across the workspace,
 * and every `mcp__<server>__<tool>` names a server that tools/mcp_servers.toml defines. One pass to index by
 * name and by server, one to report: linear in the number of agents and tool references, and no file is
 * re-read, so a deploy that changes one agent does not re-parse the other 9,999.
 */
import type { Diagnostic } from "../errors/caxton-error.js";
import { isValidMcpServerName, parseMcpToolName } from "./agent-value-rules.js";
import type { FileAnalysis } from "./analyze-file.js";
import { MCP_SERVERS_PATH } from "./analyze-file.js";
import { closestMatch } from "./did-you-mean.js";
import { makeDiagnostic } from "./diagnostic-codes.js";

/** Other paths listed in a duplicate-name error; past this, "and N more" (keeps the pass linear). */
const MAX_LISTED = 3;

export function crossCheck(analyses: Iterable<FileAnalysis>): Diagnostic[] {
  const out: Diagnostic[] = [];
  const byName = new Map<string, FileAnalysis[]>();
  const agents: FileAnalysis[] = [];
  let mcp: FileAnalysis | undefined;
  for (const a of analyses) {
    if (a.kind === "mcp-servers") mcp = a;
    if (a.kind !== "agent" || !a.agent) continue;
    agents.push(a);
    const name = a.agent.name;
    if (name === null) continue;
    const group = byName.get(name);
    if (group) group.push(a);
    else byName.set(name, [a]);
  }

  for (const [name, group] of byName) {
    if (group.length < 2) continue;
    group.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
    group.forEach((a) => {
      const listed = group
        .slice(0, MAX_LISTED + 1)
        .filter((o) => o !== a)
        .slice(0, MAX_LISTED)
        .map((o) => o.path);
      const others = group.length - 1;
      const more = others > MAX_LISTED ? ` and ${others - MAX_LISTED} more` : "";
      out.push(
        makeDiagnostic(
          a.path,
          a.agent?.nameAt ?? null,
          "E_DUPLICATE_AGENT",
          `duplicate agent name ${JSON.stringify(name)}: also defined in ${listed.join(", ")}${more}`,
          "agent names must be unique across the workspace; rename one of them",
        ),
      );
    });
  }

  // An unreadable tools/mcp_servers.toml already has its own error; guessing which servers it meant would
  // only add noise, so references are checked only when it is absent or parsed.
  if (mcp && mcp.mcpServers === null) return out;
  const servers = new Set(mcp?.mcpServers ?? []);
  for (const a of agents) {
    for (const tool of a.agent?.tools ?? []) {
      const ref = parseMcpToolName(tool.name);
      // Malformed names are the agent file's own error (E_AGENT_BAD_TOOL).
      if (!ref || !isValidMcpServerName(ref.server) || servers.has(ref.server)) continue;
      // A server name may end in `_` (the spec forbids only `__`), so `mcp__a___t` may mean server `a_`.
      if (ref.tool.startsWith("_") && ref.tool.length > 1 && servers.has(`${ref.server}_`)) continue;
      const named = `tool \`${tool.name}\` names MCP server \`${ref.server}\``;
      if (!mcp) {
        out.push(
          makeDiagnostic(
            a.path,
            tool.at,
            "E_UNKNOWN_MCP_SERVER",
            `${named}, but ${MCP_SERVERS_PATH} does not exist`,
            `create ${MCP_SERVERS_PATH} with a [servers.${ref.server}] table that sets \`command\` or \`url\``,
          ),
        );
        continue;
      }
      const close = closestMatch(ref.server, servers);
      out.push(
        makeDiagnostic(
          a.path,
          tool.at,
          "E_UNKNOWN_MCP_SERVER",
          `${named}, which ${MCP_SERVERS_PATH} does not define`,
          close !== undefined
            ? `did you mean \`mcp__${close}__${ref.tool}\`?`
            : `define it in ${MCP_SERVERS_PATH} as [servers.${ref.server}] with \`command\` or \`url\``,
        ),
      );
    }
  }
  return out;
}
