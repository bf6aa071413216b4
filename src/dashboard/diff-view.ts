/**
 * One file's change as a unified diff, computed in the page from the two stored versions (fetched by
 * checksum from `/api/v1/objects/…`) with jsdiff, the library `caxton diff` uses too.
 */
import { structuredPatch } from "diff";
import type { FileChange } from "../server/deployment-changes.js";
import { getBytes } from "./api.js";
import { byId, h, replaceChildren } from "./dom.js";

/** Larger files are not diffed in the page (the CLI's limit too). */
const MAX_TEXT_BYTES = 1024 * 1024;

async function textOf(hash: string | null): Promise<string | null> {
  if (hash === null) return "";
  const bytes = await getBytes(`/api/v1/objects/${hash}`);
  if (bytes.byteLength > MAX_TEXT_BYTES) return null;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return text.includes("\u0000") ? null : text;
  } catch {
    return null;
  }
}

export async function showDiff(file: FileChange, title: string): Promise<void> {
  const dialog = byId<HTMLDialogElement>("diff-dialog");
  byId("diff-title").textContent = `${file.path} — ${file.change}`;
  const body = byId("diff-body");
  replaceChildren(body, h("p", { class: "muted" }, `${title}: loading…`));
  if (!dialog.open) dialog.showModal();
  try {
    const [before, after] = await Promise.all([textOf(file.before), textOf(file.after)]);
    if (before === null || after === null) {
      replaceChildren(body, h("p", { class: "muted" }, "Binary or larger than 1 MiB: no line diff."));
      return;
    }
    const patch = structuredPatch(`a/${file.path}`, `b/${file.path}`, before, after, "", "", { context: 3 });
    const rows: HTMLElement[] = [];
    for (const hunk of patch.hunks) {
      rows.push(
        h(
          "div",
          { class: "hunk" },
          `@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`,
        ),
      );
      let oldNo = hunk.oldStart;
      let newNo = hunk.newStart;
      for (const line of hunk.lines) {
        const sign = line[0] ?? " ";
        if (sign === "\\") continue; // "\ No newline at end of file"
        const kind = sign === "+" ? "add" : sign === "-" ? "del" : "ctx";
        const left = kind === "add" ? "" : String(oldNo++);
        const right = kind === "del" ? "" : String(newNo++);
        rows.push(
          h(
            "div",
            { class: `line ${kind}` },
            h("span", { class: "no" }, left),
            h("span", { class: "no" }, right),
            h("span", { class: "text" }, `${sign}${line.slice(1)}`),
          ),
        );
      }
    }
    replaceChildren(
      body,
      h("p", { class: "muted" }, title),
      rows.length
        ? h("div", { class: "diff", id: "diff-lines" }, ...rows)
        : h("p", { class: "muted" }, "No line changed (only the bytes' identity)."),
    );
  } catch (err) {
    replaceChildren(body, h("p", { class: "error" }, (err as Error).message));
  }
}
