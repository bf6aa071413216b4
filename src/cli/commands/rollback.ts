/** `caxton rollback [ID|CHECKSUM] [--server URL] [--json]`: make an earlier deployment live again. */
import { ApiClient } from "../../client/api-client.js";
import { defaultDeployer } from "../../client/deploy-workspace.js";
import { withLocalState } from "../../client/open-local-state.js";
import { printNotice } from "../print-error.js";
import { buildTree } from "../../merkle/build-tree.js";
import { parseCommand } from "../parse-args.js";
import { writeJson } from "../write-json.js";
import { COMMANDS } from "../command-table.js";
import { connectionFrom } from "../connection-flags.js";
import { findWorkspace, resolveServer } from "../resolve-target.js";
import { formatMs } from "../format-bytes.js";
import { planLines } from "../agent-plan-lines.js";
import { style } from "../style.js";

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand("rollback", COMMANDS.rollback, argv);
  const t0 = performance.now();
  const workspace = findWorkspace();
  const server = resolveServer(values.server, workspace, values.workspace);
  const api = new ApiClient(server, connectionFrom(values, server));
  try {
    const result = await api.rollback(positionals[0] ?? null, values.as ?? defaultDeployer());
    const manifest = workspace ? await api.manifest() : null;
    if (workspace && manifest) {
      // what is live now is recorded as this workspace's last deploy; a damaged state is rebuilt first
      await withLocalState(async (state) => {
        const files = new Map(Object.entries(manifest.files));
        const tree = buildTree(files);
        state.recordDeployment(
          {
            workspace_path: workspace,
            server_url: api.serverId ? state.learnServerId(server, api.serverId) : state.serverKey(server),
            server_deployment_id: manifest.deployment_id,
            deployed_checksum: manifest.checksum,
            deployment_time: result.timestamp,
            changes_count: result.changes_applied,
          },
          { files },
          [...files.values(), ...[...tree.trees.values()].map((t) => t.hash)],
          { nodes: tree.trees.values() },
        );
      }, printNotice);
    }
    if (values.json) {
      writeJson({ ...result, round_trips: api.stats.roundTrips });
      return 0;
    }
    const s = style(process.stdout);
    if (result.plan) for (const line of planLines(result.plan, s)) process.stdout.write(`${line}\n`);
    process.stdout.write(
      `${s.green("✓")} Rolled back: deployment #${result.deployment_id} is live (checksum ${result.deployed_checksum.slice(0, 12)}; ` +
        `${result.added.length} added, ${result.modified.length} modified, ${result.deleted.length} deleted) in ${formatMs(performance.now() - t0)}\n`,
    );
    return 0;
  } finally {
    api.close();
  }
}
