/**
 * The workspace boundary for symbolic links (docs/security.md, "The workspace boundary"): a link is
 * deployed as its target only if the target, fully resolved, lies inside the workspace, or inside a folder
 * the workspace's caxton.toml names explicitly:
 *
 *     [workspace]
 *     allow_links_to = ["../shared-prompts", "/srv/caxton/common"]
 *
 * (relative to the workspace folder). Anything else is E_SYMLINK, naming the link and where it leads: a
 * checked-out repository must not be able to deploy `/etc/passwd` or `~/.ssh/id_ed25519` through a link.
 */
import { readFileSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve, sep } from "node:path";
import type * as SmolToml from "smol-toml";
import { CaxtonError } from "../errors/caxton-error.js";

export class LinkBoundary {
  private constructor(
    private readonly root: string,
    /** real paths of the folders links may lead into: the workspace first */
    private readonly allowed: readonly string[],
  ) {}

  /** The boundary of the workspace at `root`: itself, the folders its caxton.toml allows, and `extra`. */
  static of(root: string, extra: readonly string[]): LinkBoundary {
    const real = realOrNull(root) ?? resolve(root);
    const named = [...allowedInSettings(root), ...extra];
    const allowed = [real, ...named.flatMap((d) => realOrNull(resolve(root, d)) ?? [])];
    return new LinkBoundary(root, allowed);
  }

  /** Throws E_SYMLINK when the link at `abs` (workspace path `rel`) resolves outside the boundary. */
  check(rel: string, abs: string): void {
    const target = realOrNull(abs);
    if (target === null) return; // gone or dangling: the caller's stat reports it
    if (this.allowed.some((dir) => target === dir || target.startsWith(dir.endsWith(sep) ? dir : dir + sep)))
      return;
    throw new CaxtonError(
      "E_SYMLINK",
      `${rel}: symbolic link to ${target}, outside the workspace ${this.root}`,
      {
        hint: 'copy the file into the workspace, or name its folder in caxton.toml: [workspace] allow_links_to = ["DIR"]',
      },
    );
  }
}

/** `[workspace] allow_links_to` of the workspace's caxton.toml; none when absent or not parseable. */
function allowedInSettings(root: string): string[] {
  let text: string;
  try {
    text = readFileSync(join(root, "caxton.toml"), "utf8");
  } catch {
    return [];
  }
  // the key cannot be there without its name (a quoted key spelled with escapes holds a backslash): most
  // workspaces never load the TOML parser for it
  if (!text.includes("allow_links_to") && !text.includes("\\")) return [];
  let doc: unknown;
  try {
    doc = (createRequire(import.meta.url)("smol-toml") as typeof SmolToml).parse(text);
  } catch {
    return []; // validation reports the syntax error, with its position
  }
  const list = (doc as { workspace?: { allow_links_to?: unknown } })?.workspace?.allow_links_to;
  return Array.isArray(list) ? list.filter((d): d is string => typeof d === "string" && d !== "") : [];
}

function realOrNull(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}
