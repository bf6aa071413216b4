/**
 * The routes for people and operators, beside the deploy API: the dashboard (`/`, `/assets/…`, public: the
 * page itself asks for the token), `GET /ready` (public, like /health), `GET /metrics` and
 * `GET /api/v1/deployments/{id}/changes` (token required when one is configured; per workspace, under
 * /api/v1/workspaces/{id}/ too); /metrics is the admin token's.
 */
import type { ServerResponse } from "node:http";
import { CaxtonError } from "../errors/caxton-error.js";
import { API_PREFIX } from "../protocol/messages.js";
import type { Dashboard } from "./dashboard-assets.js";
import { deploymentChanges } from "./deployment-changes.js";
import type { ExtraRoute } from "./http-server.js";
import type { ServerMetrics } from "./metrics.js";
import { checkReadiness } from "./readiness.js";
import { sendBody } from "./request-body.js";
import type { WorkspaceServices } from "./workspace-services.js";

const CHANGES = /^\/api\/v1\/deployments\/(\d{1,15})\/changes$/;

export function operatorRoutes(
  services: WorkspaceServices,
  dashboard: Dashboard,
  metrics: ServerMetrics,
): (method: string, pathname: string) => ExtraRoute | undefined {
  return (method, pathname) => {
    if (method !== "GET") return undefined;
    const asset = dashboard.find(pathname);
    if (asset) {
      const route = pathname.startsWith("/assets/") ? "GET /assets/:file" : "GET /";
      return { route, access: "public", handler: (req, res) => dashboard.send(req, res, asset) };
    }
    if (pathname === "/ready") {
      return {
        route: "GET /ready",
        access: "public",
        handler: async (_req, res) => {
          const { ready, checks } = await checkReadiness(services.default);
          sendJson(res, ready ? 200 : 503, { status: ready ? "ready" : "unready", checks });
        },
      };
    }
    if (pathname === "/metrics") {
      // every workspace's figures: the admin's
      return { route: "GET /metrics", access: "admin", handler: (_req, res) => metrics.send(res) };
    }
    const changes = CHANGES.exec(pathname);
    if (changes?.[1]) {
      const id = Number(changes[1]);
      return {
        route: `GET ${API_PREFIX}/deployments/:id/changes`,
        access: "workspace",
        handler: async (_req, res, url, { service }) => {
          const base = url.searchParams.get("base");
          if (base !== null && !/^\d{1,15}$/.test(base))
            throw new CaxtonError("E_BAD_REQUEST", "base must be a deployment id");
          sendJson(res, 200, await deploymentChanges(service, id, base === null ? null : Number(base)));
        },
      };
    }
    return undefined;
  };
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.setHeader("Cache-Control", "no-store");
  sendBody(res, status, "application/json", Buffer.from(JSON.stringify(value)));
}
