/**
 * The HTTP API. Routes are a small table; every failure becomes a JSON error body with the status from the
 * error table in errors/. Request bodies are streamed (packs) or read with a hard size limit (negotiation),
 * decoded from zstd when so encoded; responses are zstd when the client accepts it (request-body.ts).
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import {
  ADMIN,
  authenticate,
  authorize,
  requireAdmin,
  type Principal,
  type TokenTable,
} from "./authenticate.js";
import { CaxtonError, isCaxtonError } from "../errors/caxton-error.js";
import { API_PREFIX, RollbackRequestSchema, type DeployResult } from "../protocol/messages.js";
import { NEGOTIATE_CONTENT_TYPE, PACK_CONTENT_TYPE } from "../protocol/pack-format.js";
import { parseIfMatch } from "../protocol/if-match.js";
import { decodeNegotiate } from "../protocol/negotiate-body.js";
import { parseMessage } from "../protocol/parse-message.js";
import { VERSION } from "../version.js";
import type { DeployService } from "./deploy-service.js";
import { decodedRequestBody, lingerAfterRefusal, readRequestBody, sendBody } from "./request-body.js";
import { SERVER_ID_HEADER } from "./server-identity.js";
import { MANIFEST_BY_ROOT, manifestByRoot } from "./manifest-by-root.js";
import { noteDeployment, type DeploymentNote } from "./request-notes.js";
import { readObject } from "./workspace-objects.js";
import { accessOf, createsWorkspace, workspaceRoute, WORKSPACES_PATH } from "./workspace-route.js";
import type { WorkspaceServices } from "./workspace-services.js";

/** What a route is served for: the workspace's service and who is asking. */
export interface RequestScope {
  service: DeployService;
  principal: Principal;
}

export type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  scope: RequestScope,
) => Promise<void> | void;

/**
 * A route served beside the API's own table (operator-routes.ts). `access`: "public" needs no token;
 * "workspace" is one workspace's (under /api/v1/workspaces/{id}/ too), read by its tokens; "admin" is
 * server-wide and the admin token's.
 */
export interface ExtraRoute {
  route: string;
  handler: Handler;
  access: "public" | "workspace" | "admin";
}

/** What the request log and the metrics learn of each request once it is answered. */
export interface FinishedRequest {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  path: string;
  /** the route's pattern ("GET /api/v1/agents/:name"), or "unmatched": bounded, for metric labels */
  route: string;
  /** the workspace the request named (`default` for un-prefixed and server-wide routes) */
  workspace: string;
  durationMs: number;
  error: CaxtonError | null;
}

export interface HttpServerOptions {
  /** the server's identity (server-identity.ts): reported by /health and on every answer */
  serverId?: string | null;
  services: WorkspaceServices;
  /** the tokens every call but /health needs (authenticate.ts); null: no authentication (loopback only) */
  tokens?: TokenTable | null;
  log?: (line: string) => void;
  /** packs being received at once; one more is 503 E_BUSY with Retry-After (each may hold a temp dir) */
  maxConcurrentUploads?: number;
  extraRoutes?: (method: string, pathname: string) => ExtraRoute | undefined;
  onFinished?: (done: FinishedRequest) => void;
}

/** The default cap on uploads in flight: generous for deployers, small against a flood of stalled bodies. */
export const MAX_CONCURRENT_UPLOADS = 32;

export function createRequestHandler({
  services,
  log = () => {},
  tokens = null,
  maxConcurrentUploads = MAX_CONCURRENT_UPLOADS,
  extraRoutes = () => undefined,
  onFinished = () => {},
  serverId = null,
}: HttpServerOptions): RequestListener {
  let uploads = 0;
  const { limits } = services;
  const limitsHeader = `max_object_bytes=${limits.maxObjectBytes}, max_files=${limits.maxFiles}, max_body_bytes=${limits.maxBodyBytes}`;
  const routes: Record<string, Handler> = {
    "GET /health": (_req, res) =>
      sendJson(res, 200, { status: "ok", version: VERSION, ...(serverId ? { server_id: serverId } : {}) }),
    [`GET ${WORKSPACES_PATH}`]: async (_req, res, _url, { principal }) => {
      // a scoped token sees its own workspace only (when it exists)
      const all = principal.admin
        ? await services.list()
        : (await services.list()).filter((w) => w.name === principal.workspace);
      sendJson(res, 200, { workspaces: all });
    },
    [`GET ${API_PREFIX}/deployment`]: async (req, res, _url, { service }) => {
      // a client asking "is my root live?" (the whole of a no-change deploy) gets a bodiless 304
      const current = await service.current();
      const asked = req.headers["if-none-match"];
      if (current && asked === `"${current.checksum}"`) {
        res.writeHead(304, {
          ETag: `"${current.checksum}"`,
          "Caxton-Deployment-Id": String(current.deployment_id),
          "Caxton-Deployment-Time": current.time,
        });
        res.end();
        return;
      }
      const row = await service.liveDeployment();
      if (!row) throw new CaxtonError("E_NOT_FOUND", "nothing has been deployed yet");
      res.setHeader("ETag", `"${row.root}"`);
      sendJson(res, 200, {
        deployment_id: row.id,
        checksum: row.root,
        time: row.created_at,
        kind: row.kind,
        added: row.added,
        modified: row.modified,
        deleted: row.deleted,
        deployed_by: row.deployed_by,
        agents: row.agents,
      });
    },
    [`GET ${API_PREFIX}/deployments`]: async (_req, res, url, { service }) => {
      const limit = clampInt(url.searchParams.get("limit"), 1, 10_000, 50);
      sendJson(res, 200, { deployments: await service.historyList(limit) });
    },
    [`GET ${API_PREFIX}/agents`]: async (_req, res, _url, { service }) => {
      const live = await service.liveView();
      sendJson(res, 200, {
        deployment_id: live?.deployment_id ?? null,
        checksum: live?.checksum ?? null,
        agents: (live?.agents ?? []).map(
          ({ name, version, path, checksum, capabilities, tools, config }) => ({
            name,
            version,
            path,
            checksum,
            capabilities,
            tools,
            model: config.llm?.model ?? null,
          }),
        ),
      });
    },
    [`GET ${API_PREFIX}/events`]: async (req, res, _url, { service }) => {
      const lastId = req.headers["last-event-id"];
      await service.events.subscribe(res, Array.isArray(lastId) ? lastId[0] : lastId);
    },
    [`GET ${API_PREFIX}/deployment/manifest`]: async (_req, res, _url, { service }) =>
      sendJson(res, 200, await service.currentManifest()),
    [`POST ${API_PREFIX}/rollback`]: async (req, res, _url, { service }) => {
      expectContentType(req, "application/json");
      const body = parseJson(await readRequestBody(req, 64 * 1024, "max_rollback_request_bytes"));
      const request = parseMessage(RollbackRequestSchema, body, "invalid rollback request");
      const result = await service.rollback(request.target, request.deployed_by ?? null);
      noteDeployment(res, deploymentNoteOf("rollback", result, request.deployed_by ?? null));
      sendJson(res, 201, result);
    },
    [`POST ${API_PREFIX}/negotiate`]: async (req, res, _url, { service }) => {
      expectContentType(req, NEGOTIATE_CONTENT_TYPE);
      const negotiateLimit = Math.min(limits.maxBodyBytes, 16 + 1024 * 1024 + limits.maxNegotiateHashes * 32);
      const body = await readRequestBody(req, negotiateLimit);
      const { header, hashes } = decodeNegotiate(body, limits.maxNegotiateHashes);
      sendJson(res, 200, await service.negotiate(header, hashes));
    },
    [`POST ${API_PREFIX}/deployments`]: async (req, res, url, { service }) => {
      expectContentType(req, PACK_CONTENT_TYPE);
      if (uploads >= maxConcurrentUploads) {
        res.setHeader("Retry-After", "2");
        throw new CaxtonError("E_BUSY", `the server is receiving ${uploads} uploads already, its limit`, {
          hint: "try again in a few seconds",
          detail: { limit: "max_concurrent_uploads", value: maxConcurrentUploads },
        });
      }
      uploads++;
      let result: DeployResult;
      try {
        result = await service.deploy(decodedRequestBody(req, limits.maxBodyBytes), {
          ifMatch: parseIfMatch(req.headers["if-match"], req.headers["if-none-match"]),
          dryRun: url.searchParams.get("dry_run") === "1",
          force: url.searchParams.get("force") === "1",
          guardDeletions: guards(url).has("deletions"),
          guardBreaking: guards(url).has("breaking"),
        });
      } finally {
        uploads--;
      }
      const who = result.deployment_id
        ? ((await service.workspace.get(result.deployment_id))?.deployed_by ?? null)
        : null;
      noteDeployment(res, deploymentNoteOf("deploy", result, who));
      sendJson(res, result.up_to_date || result.dry_run ? 200 : 201, result);
    },
  };

  const sendAgent = async (res: ServerResponse, service: DeployService, rawName: string): Promise<void> => {
    let name: string;
    try {
      name = decodeURIComponent(rawName);
    } catch {
      throw new CaxtonError("E_BAD_REQUEST", "malformed agent name in the URL");
    }
    const live = await service.liveView();
    const agent = live?.byName.get(name);
    if (!live || !agent)
      throw new CaxtonError("E_NOT_FOUND", `no agent named ${JSON.stringify(name)} is live`);
    sendJson(res, 200, {
      deployment_id: live.deployment_id,
      checksum: live.checksum,
      path: agent.path,
      file_checksum: agent.checksum,
      config: agent.config,
      template_variables: agent.template_variables,
    });
  };

  return (req, res) => {
    const started = performance.now();
    const requestId = randomUUID();
    res.setHeader("X-Request-Id", requestId);
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://localhost");
    } catch {
      url = new URL("http://localhost/");
    }
    const scoped = workspaceRoute(url.pathname);
    const path = scoped.path;
    const key = `${req.method} ${path}`;
    const objectMatch = /^\/api\/v1\/objects\/([0-9a-f]{64})$/.exec(path);
    const agentMatch = /^\/api\/v1\/agents\/([^/]{1,200})$/.exec(path);
    const manifestMatch = MANIFEST_BY_ROOT.exec(path);
    const listing = key === `GET ${WORKSPACES_PATH}` && !scoped.prefixed;
    const handler: Handler | undefined =
      (listing || !path.startsWith(`${WORKSPACES_PATH}`) ? routes[key] : undefined) ??
      (req.method === "GET" && objectMatch?.[1]
        ? async (_q, r, _u, { service, principal }) =>
            sendObject(r, await readObject(service, principal, objectMatch[1] as string))
        : undefined) ??
      (req.method === "GET" && agentMatch?.[1]
        ? (_q, r, _u, { service }) => sendAgent(r, service, agentMatch[1] as string)
        : undefined) ??
      (req.method === "GET" && manifestMatch?.[1]
        ? async (_q, r, _u, { service, principal }) =>
            sendJson(r, 200, await manifestByRoot(service, manifestMatch[1] as string, !principal.admin))
        : undefined);
    const extra =
      handler || (scoped.prefixed && !path.startsWith(`${API_PREFIX}/`))
        ? undefined
        : extraRoutes(req.method ?? "", path);
    const route = routes[key]
      ? key
      : handler
        ? `GET ${API_PREFIX}/${objectMatch ? "objects/:hash" : agentMatch ? "agents/:name" : "manifests/:checksum"}`
        : (extra?.route ?? "unmatched");
    let failure: CaxtonError | null = null;
    // the workspace a server-wide route is for is no workspace at all; `default` labels it
    const workspaceOf = (access: ExtraRoute["access"] | "api"): string =>
      access === "workspace" || access === "api" ? scoped.workspace : services.default.workspace.id;
    /** Authenticated, authorized, named correctly and (for reads) existing: the workspace's service. */
    const scopeFor = async (principal: Principal): Promise<DeployService> => {
      authorize(principal, scoped.workspace, accessOf(req.method));
      if (createsWorkspace(req.method, path)) return services.forDeploy(scoped.workspace);
      return services.read(scoped.workspace);
    };
    const run = async (): Promise<void> => {
      if (extra) {
        const principal = extra.access === "public" ? ADMIN : authenticate(req, tokens);
        if (extra.access === "admin") requireAdmin(principal, extra.route.replace(/^GET /, ""));
        const service = extra.access === "workspace" ? await scopeFor(principal) : services.default;
        if (serverId) res.setHeader(SERVER_ID_HEADER, serverId);
        await extra.handler(req, res, url, { service, principal });
        return;
      }
      if (!handler) {
        const known = Object.keys(routes).some((k) => k.endsWith(` ${path}`));
        throw known
          ? new CaxtonError("E_METHOD", `${req.method} is not allowed on ${url.pathname}`)
          : new CaxtonError("E_NOT_FOUND", `no such endpoint: ${url.pathname}`);
      }
      let scope: RequestScope = { service: services.default, principal: ADMIN };
      if (url.pathname !== "/health") {
        const principal = authenticate(req, tokens);
        // what this server refuses, so a client can check before it uploads (docs/protocol.md)
        res.setHeader("Caxton-Limits", limitsHeader);
        scope = { principal, service: listing ? services.default : await scopeFor(principal) };
      }
      if (serverId) res.setHeader(SERVER_ID_HEADER, serverId);
      await handler(req, res, url, scope);
    };
    run()
      .catch((err: unknown) => {
        const error = isCaxtonError(err)
          ? err
          : new CaxtonError("E_INTERNAL", "internal server error", { cause: err });
        failure = error;
        if (!isCaxtonError(err))
          log(`error: ${req.method} ${url.pathname}: ${(err as Error)?.stack ?? String(err)}`);
        if (res.headersSent) {
          res.destroy();
          return;
        }
        // a request we refuse mid-body: answer, and read the rest only a little while (request-body.ts)
        // an unauthenticated client gets nothing more from us, not even a drained body
        if (!req.complete && error.code === "E_UNAUTHORIZED") res.setHeader("Connection", "close");
        else if (!req.complete) lingerAfterRefusal(req);
        sendJson(res, error.httpStatus, { error: error.toJSON() });
      })
      .finally(() => {
        const durationMs = performance.now() - started;
        const workspace = workspaceOf(extra ? extra.access : "api");
        onFinished({ req, res, requestId, path: url.pathname, route, workspace, durationMs, error: failure });
      });
  };
}

function deploymentNoteOf(
  kind: "deploy" | "rollback",
  r: DeployResult,
  deployedBy: string | null,
): DeploymentNote {
  return {
    kind,
    outcome: r.dry_run ? "dry_run" : r.up_to_date ? "up_to_date" : "applied",
    deployment_id: r.deployment_id,
    root: r.deployed_checksum,
    added: r.added.length,
    modified: r.modified.length,
    deleted: r.deleted.length,
    deployed_by: deployedBy,
    apply_ms: r.apply_ms,
  };
}

/** zstd-compressed when the request says Accept-Encoding: zstd (request-body.ts), error bodies included. */
function sendJson(res: ServerResponse, status: number, value: unknown): void {
  sendBody(res, status, "application/json", Buffer.from(JSON.stringify(value)));
}

function sendObject(res: ServerResponse, bytes: Buffer): void {
  sendBody(res, 200, "application/octet-stream", bytes);
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new CaxtonError("E_BAD_REQUEST", "the request body is not valid JSON");
  }
}

function expectContentType(req: IncomingMessage, type: string): void {
  const actual = (req.headers["content-type"] ?? "").split(";")[0]?.trim();
  if (actual !== type) {
    throw new CaxtonError("E_UNSUPPORTED", `expected Content-Type ${type}, got ${actual || "none"}`);
  }
}

function clampInt(value: string | null, min: number, max: number, fallback: number): number {
  const n = value === null ? fallback : Number.parseInt(value, 10);
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
}

/** `?guard=deletions,breaking`: the guards a deploy asks for. */
function guards(url: URL): Set<string> {
  return new Set((url.searchParams.get("guard") ?? "").split(","));
}
