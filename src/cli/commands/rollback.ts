/** `caxton rollback [ID|CHECKSUM] [--server URL] [--json]`: make an earlier deployment live again. */
import { ApiClient } from "../../client/api-client.js";
import { defaultDeployer } from "../../client/deploy-workspace.js";
import { LocalState } from "../../client/local-state.js";
import { buildTree } from "../../merkle/build-tree.js";
import { parseCommandArgs } from "../parse-args.js";
import { CONNECTION_FLAGS, CONNECTION_USAGE, connectionFrom } from "../connection-flags.js";
import { findWorkspace, resolveServer } from "../resolve-target.js";
import { formatMs } from "../format-bytes.js";
import { planLines } from "../agent-plan-lines.js";
import { style } from "../style.js";

const USAGE = `usage: caxton rollback [ID|CHECKSUM] [--server URL] [--json] [--as NAME]

Switches the server back to an earlier deployment (default: the one before the live one) without uploading
anything. The rollback is itself recorded in \`caxton log\`. Run inside a workspace folder, the local state
learns the new server state, so \`caxton status\` compares against it.
${CONNECTION_USAGE}
`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { server: { type: "string" }, ...CONNECTION_FLAGS, json: { type: "boolean" }, as: { type: "string" } },
    USAGE,
  );
  const t0 = performance.now();
  const workspace = findWorkspace();
  const server = resolveServer(values.server, workspace);
  const api = new ApiClient(server, connectionFrom(values));
  try {
    const result = await api.rollback(positionals[0] ?? null, values.as ?? defaultDeployer());
    const manifest = workspace ? await api.manifest() : null;
    if (workspace && manifest) {
      const state = LocalState.open();
      try {
        const files = new Map(Object.entries(manifest.files));
        const tree = buildTree(files);
        state.recordDeployment(
          {
            workspace_path: workspace,
            server_url: server,
            server_deployment_id: manifest.deployment_id,
            deployed_checksum: manifest.checksum,
            deployment_time: result.timestamp,
            changes_count: result.changes_applied,
          },
          files,
          [...files.values(), ...[...tree.trees.values()].map((t) => t.hash)],
        );
      } finally {
        state.close();
      }
    }
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ ...result, round_trips: api.stats.roundTrips }, null, 2)}\n`);
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
