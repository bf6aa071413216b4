/** `caxton diff [DIR] [--server URL]`: what a deploy would change, with unified diffs for text files. */
import { readFileSync } from "node:fs";
import { createTwoFilesPatch } from "diff";
import { ApiClient } from "../../client/api-client.js";
import { LocalState } from "../../client/local-state.js";
import { diffManifests } from "../../merkle/diff-manifests.js";
import { scanWorkspace } from "../../workspace/scan-workspace.js";
import { parseCommandArgs } from "../parse-args.js";
import { CONNECTION_FLAGS, CONNECTION_USAGE, connectionFrom } from "../connection-flags.js";
import { previewPlan } from "../../client/preview-plan.js";
import { planJson, planLines } from "../agent-plan-lines.js";
import { resolveServer, resolveWorkspace } from "../resolve-target.js";
import { style } from "../style.js";

const USAGE = `usage: caxton diff [DIR] [--server URL] [--json] [--stat]

Asks the server what a deploy of DIR would change: first per agent (added, modified, removed; the fields
that changed; breaking, compatible or cosmetic), then per file, with a unified diff for text files (the
server's version is fetched by checksum). \`caxton status\` answers offline; \`diff\` asks the live server.
${CONNECTION_USAGE}
`;

const MAX_TEXT_BYTES = 1024 * 1024;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { server: { type: "string" }, ...CONNECTION_FLAGS, json: { type: "boolean" }, stat: { type: "boolean" } },
    USAGE,
  );
  const workspace = resolveWorkspace(positionals[0]);
  const server = resolveServer(values.server, workspace);
  const state = LocalState.open();
  const api = new ApiClient(server, connectionFrom(values));
  try {
    const scan = scanWorkspace(workspace, { cache: state.statCache(workspace) });
    const live = await api.manifest();
    const remote = new Map(Object.entries(live?.files ?? {}));
    const d = diffManifests(remote, scan.manifest);
    const changed = [...d.added, ...d.modified, ...d.deleted];
    const { plan, remoteContent } = await previewPlan(scan, remote, changed, (h) => api.object(h));
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({ deployed_checksum: live?.checksum ?? null, added: d.added, modified: d.modified, deleted: d.deleted, renamed: d.renamed, ...planJson(plan) }, null, 2)}\n`,
      );
      return 0;
    }
    const s = style(process.stdout);
    const out = (t: string): boolean => process.stdout.write(t);
    if (changed.length === 0) {
      out(`${s.green("✓")} No differences: the server runs this workspace.\n`);
      return 0;
    }
    // the summary in agents first, then the patch
    const summary = planLines(plan, s);
    if (summary.length > 0) out(`${summary.join("\n")}\n\n`);
    for (const path of [...d.added, ...d.modified, ...d.deleted].sort()) {
      const local = scan.files.get(path);
      const remoteHash = remote.get(path);
      const op = !remoteHash ? "added" : !local ? "deleted" : "modified";
      const color = op === "added" ? s.green : op === "deleted" ? s.red : s.yellow;
      out(`${color(`${op}: ${path}`)}\n`);
      if (values.stat) continue;
      const before = remoteHash
        ? (remoteContent.get(path) ?? (await api.object(remoteHash)))
        : Buffer.alloc(0);
      const after = local ? readFileSync(local.absPath) : Buffer.alloc(0);
      if (!isText(before) || !isText(after)) {
        out(`  binary file: ${before.length} → ${after.length} bytes\n`);
        continue;
      }
      const patch = createTwoFilesPatch(
        remoteHash ? `server/${path}` : "/dev/null",
        local ? `workspace/${path}` : "/dev/null",
        before.toString("utf8"),
        after.toString("utf8"),
        "",
        "",
        { context: 3 },
      );
      out(
        patch
          .split("\n")
          .slice(2)
          .map((l) =>
            l.startsWith("+") ? s.green(l) : l.startsWith("-") ? s.red(l) : l.startsWith("@@") ? s.dim(l) : l,
          )
          .join("\n"),
      );
    }
    out(`${d.added.length} added, ${d.modified.length} modified, ${d.deleted.length} deleted\n`);
    return 0;
  } finally {
    api.close();
    state.close();
  }
}

function isText(buf: Buffer): boolean {
  if (buf.length > MAX_TEXT_BYTES || buf.includes(0)) return false;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(buf);
    return true;
  } catch {
    return false;
  }
}
