/**
 * `caxton diff [DIR]`: what a deploy would change, as a patch from the server's live version (a/) to the
 * workspace (b/). Exit 1 when there are differences, 0 when none, as diff(1) and `git diff --exit-code`.
 */
import { scanLocal } from "../../client/scan-with-monitor.js";
import { readFileSync } from "node:fs";
import { ApiClient } from "../../client/api-client.js";
import { withLocalState } from "../../client/open-local-state.js";
import { printNotice } from "../print-error.js";
import { diffManifests } from "../../merkle/diff-manifests.js";
import { parseCommand } from "../parse-args.js";
import { writeJson } from "../write-json.js";
import { COMMANDS } from "../command-table.js";
import { connectionFrom } from "../connection-flags.js";
import { previewPlan } from "../../client/preview-plan.js";
import { planJson, planLines } from "../agent-plan-lines.js";
import { resolveServer, resolveWorkspace } from "../resolve-target.js";
import { isPatchableText, renderPatch } from "../render-patch.js";
import { style } from "../style.js";
import { serverLabel } from "../../protocol/workspace-name.js";

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand("diff", COMMANDS.diff, argv);
  const workspace = resolveWorkspace(positionals[0]);
  const server = resolveServer(values.server, workspace, values.workspace);
  const scan = await withLocalState(
    async (state) => scanLocal(workspace, state.statCache(workspace)),
    printNotice,
  );
  const api = new ApiClient(server, connectionFrom(values, server));
  try {
    const live = await api.manifest();
    const remote = new Map(Object.entries(live?.files ?? {}));
    const d = diffManifests(remote, scan.manifest);
    const changed = d.added.length + d.modified.length + d.deleted.length;
    const { plan, remoteContent } = await previewPlan(
      scan,
      remote,
      [...d.added, ...d.modified, ...d.deleted],
      (h) => api.object(h),
    );
    if (values.json) {
      writeJson({
        deployed_checksum: live?.checksum ?? null,
        differs: changed > 0,
        added: d.added,
        modified: d.modified,
        deleted: d.deleted,
        renamed: d.renamed,
        ...planJson(plan),
      });
      return changed > 0 ? 1 : 0;
    }
    const s = style(process.stdout);
    if (changed === 0) {
      process.stderr.write(`No differences: ${serverLabel(server)} runs this workspace.\n`);
      return 0;
    }
    // the summary in agents first, on stderr (stdout stays a patch git can apply), then the patch
    const summary = planLines(plan, style(process.stderr));
    if (summary.length > 0) process.stderr.write(`${summary.join("\n")}\n\n`);
    for (const path of [...d.added, ...d.modified, ...d.deleted].sort()) {
      const local = scan.files.get(path);
      const remoteHash = remote.get(path);
      if (values.stat) {
        const op = !remoteHash ? "added" : !local ? "deleted" : "modified";
        const color = op === "added" ? s.green : op === "deleted" ? s.red : s.yellow;
        process.stdout.write(`${color(`${op}: ${path}`)}\n`);
        continue;
      }
      const before = remoteHash ? (remoteContent.get(path) ?? (await api.object(remoteHash))) : null;
      const after = local ? readFileSync(local.absPath) : null;
      if ((before && !isPatchableText(before)) || (after && !isPatchableText(after))) {
        // no text patch for binary content: said on stderr, so stdout stays a patch git can apply
        process.stderr.write(
          `binary file ${path} differs: ${before?.length ?? 0} → ${after?.length ?? 0} bytes\n`,
        );
        continue;
      }
      process.stdout.write(colorPatch(renderPatch(path, before, after), s));
    }
    process.stderr.write(
      `${d.added.length} added, ${d.modified.length} modified, ${d.deleted.length} deleted\n`,
    );
    return 1;
  } finally {
    api.close();
  }
}

function colorPatch(patch: string, s: ReturnType<typeof style>): string {
  return patch
    .split("\n")
    .map((l) =>
      l.startsWith("diff --git") || l.startsWith("+++") || l.startsWith("---")
        ? s.bold(l)
        : l.startsWith("+")
          ? s.green(l)
          : l.startsWith("-")
            ? s.red(l)
            : l.startsWith("@@")
              ? s.dim(l)
              : l,
    )
    .join("\n");
}
