/**
 * One file's change as a git-style patch (`diff --git a/P b/P`, `new file mode`, `--- /dev/null`, …), so
 * `caxton diff > change.patch` is taken by `git apply` and `patch -p1`. The server's version is `a/`, the
 * workspace's `b/`. Hunks come from the `diff` package; only the headers are ours.
 */
import { createTwoFilesPatch } from "diff";

export function renderPatch(path: string, before: Buffer | null, after: Buffer | null): string {
  const head = [`diff --git a/${path} b/${path}`];
  if (!before) head.push("new file mode 100644");
  if (!after) head.push("deleted file mode 100644");
  const patch = createTwoFilesPatch(
    before ? `a/${path}` : "/dev/null",
    after ? `b/${path}` : "/dev/null",
    (before ?? Buffer.alloc(0)).toString("utf8"),
    (after ?? Buffer.alloc(0)).toString("utf8"),
    undefined,
    undefined,
    { context: 3 },
  );
  // drop the package's "=====" separator; a patch with no hunks (an empty file) keeps no ---/+++ either
  const lines = patch.split("\n").slice(1);
  const body = lines.some((l) => l.startsWith("@@")) ? lines.join("\n") : "";
  return `${head.join("\n")}\n${body}`;
}

/** Text, for a patch: valid UTF-8 without NUL bytes, at most 1 MiB. */
export function isPatchableText(buf: Buffer): boolean {
  if (buf.length > 1024 * 1024 || buf.includes(0)) return false;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(buf);
    return true;
  } catch {
    return false;
  }
}
