/**
 * HTTP client for the deploy API. One keep-alive connection per client, so the round trips of a deploy
 * share one TCP handshake. Counts round trips and the bytes that crossed the socket (headers included),
 * which `deploy --json` reports.
 *
 * Every body with content is zstd-compressed (Content-Encoding: zstd), and every request says
 * Accept-Encoding: zstd. Streamed bodies (packs) are compressed as they are generated, 128 KiB at a time:
 * the pack is never held whole. So the byte counts are what crossed the wire after compression.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import type * as HttpsModule from "node:https";
import { createRequire } from "node:module";
import type { Socket } from "node:net";
import { CaxtonError, isCaxtonError } from "../errors/caxton-error.js";
import { parseMessage } from "../protocol/parse-message.js";
import { isErrorCode } from "../errors/error-codes.js";
import type { DeployResult, HistoryEntry, NegotiateResponse, WorkspaceList } from "../protocol/messages.js";
import { API_PREFIX } from "../protocol/api-prefix.js";
import { ifMatchHeaders, type IfMatch } from "../protocol/if-match.js";
import type * as Messages from "../protocol/messages.js";
import { NEGOTIATE_CONTENT_TYPE, PACK_CONTENT_TYPE } from "../protocol/pack-format.js";
import { encodeNegotiate } from "../protocol/negotiate-body.js";
import { parseLimits, type ServerLimits } from "./server-limits.js";
import { quickDeployResult } from "./quick-deploy-result.js";
import { oneLine, requestError } from "./request-error.js";
import {
  decodeResponse,
  loadCodec,
  pipeBody,
  withTurns,
  zstdStream,
  type Codec,
  type RawResponse,
} from "./wire-bodies.js";
import { serverLabel } from "../protocol/workspace-name.js";

export interface WireStats {
  roundTrips: number;
  bytesSent: number;
  bytesReceived: number;
}

/**
 * zod and the zstd binding cost ~70 ms and ~40 ms to load; a no-change deploy needs neither (one bodiless
 * request answered 304), so both load on first use, and a deploy's answer is checked by hand first
 * (quick-deploy-result.ts), so a deploy that succeeds loads no zod.
 */
let schemas: Promise<typeof Messages> | undefined;
const messages = (): Promise<typeof Messages> => (schemas ??= import("../protocol/messages.js"));

type Body = Buffer | AsyncIterable<Buffer> | null;

/** How to reach a server: a bearer token, and for https a private CA to trust besides the system's. */
export interface ConnectionOptions {
  token?: string | null;
  ca?: Buffer | null;
  /** give up on a request whose connection sees no byte for this long (E_UNREACHABLE); 0 or absent: no limit */
  timeoutMs?: number;
  /** the server's workspace (default: `default`, the un-prefixed API) */
  workspace?: string;
}

/** The live deployment, as `GET /api/v1/deployment` reports it (kind and who are unknown after a 304). */
export interface LiveDeployment {
  deployment_id: number;
  checksum: string;
  time: string;
  kind: string | null;
  deployed_by: string | null;
}

export class ApiClient {
  readonly stats: WireStats = { roundTrips: 0, bytesSent: 0, bytesReceived: 0 };
  /** the limits the server announced in its last answer (Caxton-Limits), null before any */
  limits: ServerLimits | null = null;
  /** the server's identity (`Caxton-Server-Id`), once any answer carried it; `id#workspace` for a
   * workspace other than `default`, so the local state keeps each workspace's deploys apart */
  serverId: string | null = null;
  /** where this workspace's endpoints are: `/api/v1`, or `/api/v1/workspaces/NAME` */
  private readonly api: string;
  private readonly idSuffix: string;
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof HttpsModule;
  private readonly base: URL;
  private readonly authorization: string | null;
  private readonly timeoutMs: number | undefined;

  constructor(
    readonly serverUrl: string,
    connection: ConnectionOptions = {},
  ) {
    try {
      this.base = new URL(serverUrl);
    } catch {
      throw new CaxtonError("E_USAGE", `invalid server URL: ${serverUrl}`);
    }
    if (this.base.protocol === "https:") {
      // TLS loads only for an https server (node:https brings in tls and the X.509 code)
      const https = createRequire(import.meta.url)("node:https") as typeof HttpsModule;
      this.transport = https;
      // certificates are always verified; --ca adds a private CA to the trusted set
      this.agent = new https.Agent({
        keepAlive: true,
        maxSockets: 1,
        ...(connection.ca ? { ca: connection.ca } : {}),
      });
    } else if (this.base.protocol === "http:") {
      this.transport = http;
      this.agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    } else {
      throw new CaxtonError(
        "E_USAGE",
        `unsupported server URL scheme ${this.base.protocol} (use http:// or https://)`,
      );
    }
    this.authorization = connection.token ? `Bearer ${connection.token}` : null;
    this.timeoutMs = connection.timeoutMs;
    const ws = connection.workspace ?? "default";
    this.api = ws === "default" ? API_PREFIX : `${API_PREFIX}/workspaces/${ws}`;
    this.idSuffix = ws === "default" ? "" : `#${ws}`;
  }

  async health(): Promise<unknown> {
    return this.json(await this.request("GET", "/health", null, {}));
  }

  /**
   * Is `root` the live deployment? One request without a body (`If-None-Match`, answered 304 when it is):
   * the whole cost of a deploy with nothing to do.
   */
  async liveDeployment(root: string): Promise<{ deployment_id: number; time: string } | null> {
    const res = await this.request("GET", `${this.api}/deployment`, null, { "If-None-Match": `"${root}"` });
    if (res.status === 304) {
      const id = Number(res.headers["caxton-deployment-id"]);
      const time = res.headers["caxton-deployment-time"];
      if (!Number.isSafeInteger(id) || typeof time !== "string") {
        throw new CaxtonError("E_PROTOCOL", "the server's 304 answer lacks the deployment's id and time");
      }
      return { deployment_id: id, time };
    }
    if (res.status === 200 || res.status === 404) return null;
    await this.json(res); // an error: thrown
    return null;
  }

  /**
   * The live deployment, in one request: bodiless (304) when it is `known`, the root the caller expects;
   * null when nothing is deployed.
   */
  async current(known: string | null): Promise<LiveDeployment | null> {
    const res = await this.request(
      "GET",
      `${this.api}/deployment`,
      null,
      known ? { "If-None-Match": `"${known}"` } : {},
    );
    if (res.status === 304 && known) {
      const id = Number(res.headers["caxton-deployment-id"]);
      const time = res.headers["caxton-deployment-time"];
      if (!Number.isSafeInteger(id) || typeof time !== "string") {
        throw new CaxtonError("E_PROTOCOL", "the server's 304 answer lacks the deployment's id and time");
      }
      return { deployment_id: id, checksum: known, time, kind: null, deployed_by: null };
    }
    if (res.status === 404) return null;
    return parseAnswer((await messages()).LiveDeploymentSchema, await this.json(res));
  }

  async getJson(path: string): Promise<unknown> {
    return this.json(await this.request("GET", `${this.api}${path}`, null, {}));
  }

  /** `GET /api/v1/workspaces`: the server's workspaces this token may see. */
  async workspaces(): Promise<WorkspaceList> {
    const res = await this.request("GET", `${API_PREFIX}/workspaces`, null, {});
    return parseAnswer((await messages()).WorkspaceListSchema, await this.json(res));
  }

  async negotiate(root: string, hashes: readonly string[]): Promise<NegotiateResponse> {
    const body = encodeNegotiate({ root }, hashes);
    const res = await this.request("POST", `${this.api}/negotiate`, body, {
      "Content-Type": NEGOTIATE_CONTENT_TYPE,
    });
    return parseAnswer((await messages()).NegotiateResponseSchema, await this.json(res));
  }

  async deploy(
    pack: AsyncIterable<Buffer>,
    options: {
      ifMatch: IfMatch;
      dryRun: boolean;
      force?: boolean;
      guardDeletions?: boolean;
      guardBreaking?: boolean;
    },
  ): Promise<DeployResult> {
    const headers = { "Content-Type": PACK_CONTENT_TYPE, ...ifMatchHeaders(options.ifMatch) };
    const query = [options.dryRun ? "dry_run=1" : "", options.force ? "force=1" : "", guardQuery(options)]
      .filter(Boolean)
      .join("&");
    const path = `${this.api}/deployments${query ? `?${query}` : ""}`;
    const res = await this.request("POST", path, pack, headers);
    const body = await this.json(res);
    // checked by hand first: zod loads only for an answer the quick check cannot vouch for
    return quickDeployResult(body) ?? parseAnswer((await messages()).DeployResultSchema, body);
  }

  async history(limit: number): Promise<HistoryEntry[]> {
    const res = await this.request("GET", `${this.api}/deployments?limit=${limit}`, null, {});
    return parseAnswer((await messages()).HistoryResponseSchema, await this.json(res)).deployments;
  }

  async rollback(target: string | null, deployedBy: string): Promise<DeployResult> {
    const body = Buffer.from(JSON.stringify({ target, deployed_by: deployedBy }));
    const res = await this.request("POST", `${this.api}/rollback`, body, {
      "Content-Type": "application/json",
    });
    return parseAnswer((await messages()).DeployResultSchema, await this.json(res));
  }

  async manifest(): Promise<{
    deployment_id: number;
    checksum: string;
    files: Record<string, string>;
  } | null> {
    const res = await this.request("GET", `${this.api}/deployment/manifest`, null, {});
    if (res.status === 404) return null;
    return parseAnswer((await messages()).ManifestResponseSchema, await this.json(res));
  }

  /** The file map of a stored deployment, by its root checksum (`caxton show`). */
  async manifestOf(root: string): Promise<Map<string, string>> {
    const res = await this.request("GET", `${this.api}/manifests/${root}`, null, {});
    const body = parseAnswer((await messages()).ManifestByRootSchema, await this.json(res));
    return new Map(Object.entries(body.files));
  }

  /** An object's bytes, verified against its hash: the server is not trusted either. */
  async object(hash: string): Promise<Buffer> {
    const res = await this.request("GET", `${this.api}/objects/${hash}`, null, {});
    if (res.status !== 200) await this.json(res);
    if (createHash("sha256").update(res.body).digest("hex") !== hash) {
      throw new CaxtonError("E_CHECKSUM_MISMATCH", `the server sent object ${hash} with other content`);
    }
    return res.body;
  }

  /** Starts counting afresh, for a client kept across deploys (`deploy --watch`). */
  resetStats(): void {
    Object.assign(this.stats, { roundTrips: 0, bytesSent: 0, bytesReceived: 0 });
  }

  close(): void {
    this.agent.destroy();
  }

  private async json(res: RawResponse): Promise<unknown> {
    let value: unknown;
    try {
      value = JSON.parse(res.body.toString("utf8"));
    } catch {
      throw new CaxtonError("E_PROTOCOL", `the server answered ${res.status} with a body that is not JSON`);
    }
    if (res.status >= 200 && res.status < 300) return value;
    const schemas = await messages();
    const parsed = schemas.ErrorBodySchema.safeParse(value);
    if (!parsed.success)
      throw new CaxtonError("E_PROTOCOL", `the server answered ${res.status} without an error body`);
    const { code, message, hint } = parsed.data.error;
    let detail = parsed.data.error.detail;
    // a refused breaking plan is printed from its detail: checked here, where the schemas are loaded
    if (code === "E_BREAKING_CHANGE" && detail) {
      const plan = schemas.AgentPlanSchema.safeParse(detail["plan"]);
      detail = { ...detail, plan: plan.success ? plan.data : undefined };
    }
    throw new CaxtonError(isErrorCode(code) ? code : "E_PROTOCOL", oneLine(message), {
      ...(hint ? { hint: oneLine(hint) } : {}),
      ...(detail ? { detail } : {}),
    });
  }

  private async request(
    method: string,
    path: string,
    body: Body,
    headers: Record<string, string>,
  ): Promise<RawResponse> {
    this.stats.roundTrips++;
    const codec = body !== null ? await loadCodec() : null;
    const raw = await new Promise<RawResponse>((resolve, reject) => {
      let socket: Socket | undefined;
      let sentAtStart = 0;
      let receivedAtStart = 0;
      const account = (): void => {
        if (!socket) return;
        this.stats.bytesSent += socket.bytesWritten - sentAtStart;
        this.stats.bytesReceived += socket.bytesRead - receivedAtStart;
        sentAtStart = socket.bytesWritten;
        receivedAtStart = socket.bytesRead;
      };
      const wireBody =
        body instanceof Buffer && body.length > 0 && codec ? codec.zstdCompressSync(body) : body;
      const wireHeaders: Record<string, string> = { ...headers, "Accept-Encoding": "zstd" };
      if (this.authorization) wireHeaders.Authorization = this.authorization;
      if (wireBody instanceof Buffer) wireHeaders["Content-Length"] = String(wireBody.length);
      if (wireBody !== null && !(wireBody instanceof Buffer && wireBody.length === 0)) {
        wireHeaders["Content-Encoding"] = "zstd";
      }
      // an error of the body's own (a file changed while it was read) is the deploy's error, not the socket's
      let bodyError: unknown;
      let answered = false;
      const req = this.transport.request(
        {
          protocol: this.base.protocol,
          hostname: this.base.hostname.replace(/^\[|\]$/g, ""),
          port: this.base.port || (this.base.protocol === "https:" ? 443 : 80),
          method,
          path,
          agent: this.agent,
          headers: wireHeaders,
        },
        (res) => {
          answered = true;
          const parts: Buffer[] = [];
          res.on("data", (c: Buffer) => parts.push(c));
          res.on("end", () => {
            account();
            // answered before the whole body went out: this connection cannot carry another request
            if (!req.writableEnded) req.destroy();
            const id = res.headers["caxton-server-id"];
            if (typeof id === "string" && /^[0-9a-f-]{36}$/.test(id)) this.serverId = `${id}${this.idSuffix}`;
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts), headers: res.headers });
          });
          res.on("error", reject);
        },
      );
      if (this.timeoutMs) {
        const ms = this.timeoutMs;
        req.setTimeout(ms, () =>
          req.destroy(Object.assign(new Error(`no answer in ${ms} ms`), { code: "ETIMEDOUT", idleMs: ms })),
        );
      }
      req.on("socket", (s) => {
        socket = s;
        sentAtStart = s.bytesWritten;
        receivedAtStart = s.bytesRead;
      });
      req.on("error", (err: NodeJS.ErrnoException) => {
        account();
        if (isCaxtonError(bodyError)) {
          reject(bodyError);
          return;
        }
        reject(requestError(serverLabel(this.serverUrl), err, req.writableFinished));
      });
      if (wireBody === null) req.end();
      else if (wireBody instanceof Buffer) req.end(wireBody);
      else
        void pipeBody(
          zstdStream(
            withTurns(wireBody as AsyncIterable<Buffer>, () => answered || req.destroyed),
            codec as Codec,
          ),
          req,
        ).catch((err: unknown) => {
          bodyError = err;
          req.destroy(err as Error);
        });
    });
    this.limits = parseLimits(raw.headers["caxton-limits"]) ?? this.limits;
    return { ...raw, body: await decodeResponse(raw) };
  }
}

function parseAnswer<T>(schema: Parameters<typeof parseMessage<T>>[0], value: unknown): T {
  return parseMessage(schema, value, "unexpected answer from the server", "E_PROTOCOL");
}

function guardQuery(o: { guardDeletions?: boolean; guardBreaking?: boolean }): string {
  const guards = [o.guardDeletions ? "deletions" : "", o.guardBreaking ? "breaking" : ""].filter(Boolean);
  return guards.length > 0 ? `guard=${guards.join(",")}` : "";
}
