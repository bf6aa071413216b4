/**
 * Which workspace and which server a command talks to.
 *
 * A workspace is a folder holding `caxton.toml` or an `agents/` folder. A DIR argument must be one; without
 * DIR, the workspace is the nearest such folder from the current one upwards (as git finds `.git`), so
 * running from `agents/` deploys the workspace above it, not `agents/` re-rooted.
 *
 * Server URL: --server, else $CAXTON_SERVER, else `[deploy] server` in the workspace's caxton.toml, else
 * http://127.0.0.1:8080. The server's workspace: --workspace, else $CAXTON_WORKSPACE, else `[deploy]
 * workspace`, else `default`.
 */
import { readFileSync, realpathSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import type * as SmolToml from "smol-toml";
import { CaxtonError } from "../errors/caxton-error.js";
import { DEFAULT_WORKSPACE_NAME, WORKSPACE_NAME_PATTERN } from "../protocol/workspace-name.js";

/** The TOML parser, loaded only for a caxton.toml that names a server (most deploys pass none). */
const loadToml = (): typeof SmolToml => createRequire(import.meta.url)("smol-toml") as typeof SmolToml;

export const DEFAULT_SERVER = "http://127.0.0.1:8080";

/** Does this folder hold `caxton.toml` (a file) or `agents/` (a folder)? */
export function isWorkspace(dir: string): boolean {
  return (
    statSync(join(dir, "caxton.toml"), { throwIfNoEntry: false })?.isFile() === true ||
    statSync(join(dir, "agents"), { throwIfNoEntry: false })?.isDirectory() === true
  );
}

/** The workspace a command works on: DIR, which must be one, or the nearest one from the current folder up. */
export function resolveWorkspace(dir: string | undefined): string {
  if (dir === undefined) {
    const found = findWorkspace();
    if (found) return found;
    throw new CaxtonError(
      "E_WORKSPACE",
      `no workspace here: neither ${process.cwd()} nor any folder above it holds caxton.toml or an agents/ folder`,
      { hint: "pass the workspace folder (caxton deploy DIR), or create one with `caxton init DIR`" },
    );
  }
  const abs = resolve(dir);
  let real: string;
  try {
    real = realpathSync(abs);
  } catch {
    throw new CaxtonError("E_WORKSPACE", `workspace ${abs} does not exist`, {
      hint: "run `caxton init DIR` to create one",
    });
  }
  if (!statSync(real).isDirectory()) {
    throw new CaxtonError("E_WORKSPACE", `workspace ${abs} is not a folder`);
  }
  if (isWorkspace(real)) return real;
  const above = findWorkspace(dirname(real));
  throw new CaxtonError(
    "E_WORKSPACE",
    `${abs} is not a workspace: it holds neither caxton.toml nor an agents/ folder`,
    {
      hint: above
        ? `it is inside the workspace ${above}; pass that folder, or run the command without DIR`
        : "pass a workspace folder, or create one with `caxton init DIR`",
    },
  );
}

/**
 * The workspace a command without a DIR argument belongs to: the nearest folder, from `from` upwards, that
 * is a workspace; null outside any workspace.
 */
export function findWorkspace(from = process.cwd()): string | null {
  let dir = resolve(from);
  for (;;) {
    if (isWorkspace(dir)) return realpathSync(dir);
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/**
 * The server URL, and for a workspace other than `default` the URL with `#NAME` appended: the key the local
 * state keeps that workspace's deploys under (the client sends requests to the URL's host only).
 */
export function resolveServer(
  flag: string | undefined,
  workspace: string | null,
  workspaceFlag?: string,
): string {
  const url = serverUrl(flag, workspace);
  const name = resolveWorkspaceName(workspaceFlag, workspace);
  return name === DEFAULT_WORKSPACE_NAME ? url : `${url}#${name}`;
}

/**
 * The server-side workspace a command talks to: --workspace, else $CAXTON_WORKSPACE, else `[deploy]
 * workspace` in caxton.toml, else `default`. Checked here, before any request.
 */
export function resolveWorkspaceName(flag: string | undefined, workspace: string | null): string {
  const [name, where] =
    flag !== undefined
      ? [flag, "--workspace"]
      : process.env.CAXTON_WORKSPACE
        ? [process.env.CAXTON_WORKSPACE, "$CAXTON_WORKSPACE"]
        : [fromSettings(workspace, "workspace"), "[deploy] workspace in caxton.toml"];
  if (name === undefined) return DEFAULT_WORKSPACE_NAME;
  if (!WORKSPACE_NAME_PATTERN.test(name)) {
    throw new CaxtonError("E_WORKSPACE_NAME", `${where}: ${JSON.stringify(name)} is not a workspace name`);
  }
  return name;
}

/** The workspace a resolved server string names (see resolveServer), `default` when none. */
export function workspaceOfServer(server: string): string {
  const hash = server.indexOf("#");
  return hash === -1 ? DEFAULT_WORKSPACE_NAME : server.slice(hash + 1);
}

function fromSettings(workspace: string | null, key: string): string | undefined {
  const value = workspace ? deploySettings(workspace)[key] : undefined;
  return typeof value === "string" ? value : undefined;
}

export function serverUrl(flag: string | undefined, workspace: string | null): string {
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
  const server = deploySettings(workspace)["server"];
  return typeof server === "string" ? server : undefined;
}

/** Does the workspace's caxton.toml set `[deploy] require_allow_breaking = true`? */
export function requiresAllowBreaking(workspace: string | null): boolean {
  return workspace !== null && deploySettings(workspace)["require_allow_breaking"] === true;
}

/** The `[deploy]` table of the workspace's caxton.toml, as written ({} when absent or unreadable). */
function deploySettings(workspace: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(join(workspace, "caxton.toml"), "utf8");
  } catch {
    return {};
  }
  // the TOML parser is loaded only when the file can hold a setting we read
  if (!text.includes("server") && !text.includes("require_allow_breaking") && !text.includes("workspace"))
    return {};
  try {
    const doc = loadToml().parse(text) as { deploy?: unknown };
    return typeof doc.deploy === "object" && doc.deploy !== null
      ? (doc.deploy as Record<string, unknown>)
      : {};
  } catch {
    return {}; // validation reports the syntax error with its position
  }
}
