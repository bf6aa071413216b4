/**
 * The changes the scenarios make to a generated workspace. Each edit writes content that was never written
 * before (a bench-wide revision counter is part of it), so every "changed" run really changes something and
 * no tool can find the new content among what it already holds — except the revert scenario, which restores
 * earlier content on purpose.
 *
 * Every edit also changes the file's size. rsync's quick check compares size and mtime in whole seconds, and
 * the bench's runs come less than a second apart: a same-size edit would go unseen by rsync, and it would
 * not be measuring the same change.
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LARGE_LINE_BYTES, type GeneratedWorkspace } from "./generate-workspace.js";

let revision = 0;

/** A number never used before in this bench process. */
export function nextRevision(): number {
  return ++revision;
}

/** Rewrites the agent's `description` line (the agent stays valid, its size changes). */
export function editAgent(ws: GeneratedWorkspace, rel: string, rev = nextRevision()): void {
  const abs = join(ws.dir, rel);
  const text = readFileSync(abs, "utf8");
  const line = /^description = "(.*)"$/m;
  const old = line.exec(text)?.[1];
  if (old === undefined) throw new Error(`bench: ${rel} has no description line to edit`);
  let description = `edited by the bench, revision ${rev}`;
  if (description.length === old.length) description += ".";
  writeFileSync(abs, text.replace(line, `description = "${description}"`));
}

/** `count` agents spread evenly over the workspace (the same ones every time). */
export function pickAgents(ws: GeneratedWorkspace, count: number): string[] {
  if (count > ws.agents.length) throw new Error(`bench: ${ws.size.name} has only ${ws.agents.length} agents`);
  const step = ws.agents.length / count;
  return Array.from({ length: count }, (_, i) => ws.agents[Math.floor(i * step)] as string);
}

/** Replaces one line of a binary-ish file with a line 1–7 bytes longer: a one-line edit. */
export function editOneLine(ws: GeneratedWorkspace, rel: string, rev = nextRevision()): void {
  const abs = join(ws.dir, rel);
  const buf = readFileSync(abs);
  const lines = Math.floor(buf.length / LARGE_LINE_BYTES);
  const at = ((rev * 2654435761) % lines) * LARGE_LINE_BYTES; // a different line each time, deterministically
  const text = `edited by the bench, revision ${rev} `.padEnd(LARGE_LINE_BYTES + (rev % 7), "#");
  const end = at + LARGE_LINE_BYTES - 1;
  writeFileSync(abs, Buffer.concat([buf.subarray(0, at), Buffer.from(text, "latin1"), buf.subarray(end)]));
}

/** Moves ws.largeFile to its other name and back, alternately; returns the new path. */
export function toggleRename(ws: GeneratedWorkspace, current: string): string {
  if (!ws.largeFile || !ws.largeFileRenamed) throw new Error(`bench: ${ws.size.name} has no large file`);
  const next = current === ws.largeFile ? ws.largeFileRenamed : ws.largeFile;
  renameSync(join(ws.dir, current), join(ws.dir, next));
  return next;
}

/** The current content of some files, to be written back later (revert). */
export type Snapshot = Map<string, Buffer>;

export function snapshot(ws: GeneratedWorkspace, rels: readonly string[]): Snapshot {
  return new Map(rels.map((rel) => [rel, readFileSync(join(ws.dir, rel))]));
}

export function restore(ws: GeneratedWorkspace, snap: Snapshot): void {
  for (const [rel, content] of snap) writeFileSync(join(ws.dir, rel), content);
}
