/**
 * A word-level diff of two prompts for the agent-aware plan: the changed words as `[-old-]{+new+}` (the
 * notation of `git diff --word-diff=plain`) with a few words of context around each change, the unchanged
 * stretches between changes elided with `…`. Words come from jsdiff's `diffWords`.
 */
import { diffWords } from "diff";

const CONTEXT_WORDS = 3;
/** A word diff longer than this is cut (a rewritten prompt is better read in `caxton diff`). */
const MAX_CHARS = 600;

export function promptWordDiff(before: string, after: string): string {
  const parts = diffWords(before, after);
  let out = "";
  parts.forEach((p, i) => {
    const text = p.value.replace(/\s+/g, " ");
    // spaces around a changed stretch stay outside its markers: `plan {+carefully+}.`
    const lead = text.startsWith(" ") && !out.endsWith(" ") ? " " : "";
    const trail = text.endsWith(" ") && text.trim() !== "" ? " " : "";
    if (p.removed) out += `${lead}[-${text.trim()}-]${trail}`;
    else if (p.added) out += `${lead}{+${text.trim()}+}${trail}`;
    else {
      const words = text.split(" ");
      const first = i === 0;
      const last = i === parts.length - 1;
      const keepHead = first ? 0 : CONTEXT_WORDS + 1; // leading "" from the space after a change
      const keepTail = last ? 0 : CONTEXT_WORDS + 1;
      if (words.length <= keepHead + keepTail) out += text;
      else
        out +=
          words.slice(0, keepHead).join(" ") +
          (keepHead > 0 ? " " : "") +
          "…" +
          (keepTail > 0 ? " " : "") +
          words.slice(words.length - keepTail).join(" ");
    }
  });
  out = out.trim();
  return out.length > MAX_CHARS ? `${out.slice(0, MAX_CHARS)}…` : out;
}
