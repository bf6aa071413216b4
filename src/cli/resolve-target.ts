/**
 * Which workspace and which server a command talks to. Server URL: --server, else $CAXTON_SERVER, else
 * `[deploy] server` in the workspace's caxton.toml, else http://127.0.0.1:8080.
 */
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import type * as SmolToml from "smol-toml";
import { CaxtonError } from "../errors/caxton-error.js";

/** The TOML parser, loaded only for a caxton.toml that names a server (most deploys pass none). */
const loadToml = (): typeof SmolToml => createRequire(import.meta.url)("smol-toml") as typeof SmolToml;

export const DEFAULT_SERVER = "http://127.0.0.1:8080";

export function resolveWorkspace(dir: string | undefined): string {
  const abs = resolve(dir ?? ".");
  try {
    return realpathSync(abs);
  } catch {
    throw new CaxtonError("E_WORKSPACE", `workspace ${abs} does not exist`, {
      hint: "run `caxton init DIR` to create one",
    });
  }
}

/**
 * The workspace a command without a DIR argument belongs to: the nearest folder, from the current one
 * upwards, that holds a caxton.toml; null outside any workspace.
 */
export function findWorkspace(from = process.cwd()): string | null {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, "caxton.toml"))) return realpathSync(dir);
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

export function resolveServer(flag: string | undefined, workspace: string | null): string {
  const raw =
    flag ??
    (process.env.CAXTON_SERVER || undefined) ??
    (workspace ? fromWorkspace(workspace) : undefined) ??
    DEFAULT_SERVER;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CaxtonError("E_USAGE", `invalid server URL: ${raw}`);
  }
  // one spelling per server, so the local state's keys match however the URL was typed
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
}

function fromWorkspace(workspace: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(join(workspace, "caxton.toml"), "utf8");
  } catch {
    return undefined;
  }
  if (!text.includes("server")) return undefined;
  try {
    const doc = loadToml().parse(text) as { deploy?: { server?: unknown } };
    return typeof doc.deploy?.server === "string" ? doc.deploy.server : undefined;
  } catch {
    return undefined; // validation reports the syntax error with its position
  }
}
