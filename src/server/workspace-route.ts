/**
 * Which workspace a request is for, and what it does to it. `/api/v1/workspaces/{id}/…` is the endpoint
 * `/api/v1/…` of workspace `id`; an un-prefixed `/api/v1/…` is the `default` workspace's;
 * `/api/v1/workspaces` itself lists them. Reads are GETs; POSTs (negotiate, deploy, rollback) change what
 * is live, and negotiation and deploy may name a workspace that does not exist yet (its first deploy
 * creates it).
 */
import { API_PREFIX } from "../protocol/api-prefix.js";
import { DEFAULT_WORKSPACE, type WorkspaceId } from "../store/deployment-store.js";
import type { Access } from "./authenticate.js";

export const WORKSPACES_PATH = `${API_PREFIX}/workspaces`;

export interface WorkspaceRoute {
  workspace: WorkspaceId;
  /** the path with the workspace prefix taken off (what the route table matches) */
  path: string;
  /** true when the URL named the workspace */
  prefixed: boolean;
}

/** The raw name is checked later (after authentication, before any work): see workspace-services.ts. */
export function workspaceRoute(pathname: string): WorkspaceRoute {
  const prefix = `${WORKSPACES_PATH}/`;
  if (!pathname.startsWith(prefix)) return { workspace: DEFAULT_WORKSPACE, path: pathname, prefixed: false };
  const rest = pathname.slice(prefix.length);
  const slash = rest.indexOf("/");
  const name = slash === -1 ? rest : rest.slice(0, slash);
  let workspace: string;
  try {
    workspace = decodeURIComponent(name);
  } catch {
    workspace = name;
  }
  return { workspace, path: `${API_PREFIX}${slash === -1 ? "" : rest.slice(slash)}`, prefixed: true };
}

export function accessOf(method: string | undefined): Access {
  return method === "GET" || method === "HEAD" ? "read" : "deploy";
}

/** The routes that may name a workspace before it exists. */
export function createsWorkspace(method: string | undefined, path: string): boolean {
  return method === "POST" && (path === `${API_PREFIX}/deployments` || path === `${API_PREFIX}/negotiate`);
}
