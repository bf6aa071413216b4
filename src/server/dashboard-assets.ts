/**
 * Serves the dashboard that scripts/bundle.mjs builds into dist/dashboard/: `index.html` at `/` (no-cache,
 * revalidated by ETag, so a new build shows at the next load) and content-hashed assets under `/assets/`
 * (immutable for a year: a new build has new names). Everything is read once at start, gzipped when the
 * client accepts it, and sent with a strict Content-Security-Policy: the page loads only its own script and
 * style and talks only to this server.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
  ".svg": "image/svg+xml",
};

interface Asset {
  type: string;
  body: Buffer;
  gzip: Buffer;
  etag: string;
  cache: string;
}

export interface Dashboard {
  /** The asset for a GET of this path, or undefined when the path is not the dashboard's. */
  find(pathname: string): Asset | undefined;
  send(req: IncomingMessage, res: ServerResponse, asset: Asset): void;
}

/** dist/dashboard/, next to the bundled CLI (dist/cli/) or the compiled modules (dist/src/server/). */
function locate(): string | null {
  for (const up of ["../dashboard/", "../../dashboard/"]) {
    const dir = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(join(dir, "index.html"))) return dir;
  }
  return null;
}

export function loadDashboard(dir: string | null = locate()): Dashboard {
  const assets = new Map<string, Asset>();
  const add = (path: string, file: string, cache: string): void => {
    const body = readFileSync(file);
    assets.set(path, {
      type: TYPES[extname(file)] ?? "application/octet-stream",
      body,
      gzip: gzipSync(body),
      etag: `"${createHash("sha256").update(body).digest("hex").slice(0, 32)}"`,
      cache,
    });
  };
  if (dir) {
    add("/", join(dir, "index.html"), "no-cache");
    const assetDir = join(dir, "assets");
    for (const name of existsSync(assetDir) ? readdirSync(assetDir) : []) {
      add(`/assets/${name}`, join(assetDir, name), "public, max-age=31536000, immutable");
    }
  }
  return {
    find: (pathname) => assets.get(pathname === "/index.html" ? "/" : pathname),
    send(req, res, asset) {
      const headers: Record<string, string | number> = {
        "Content-Type": asset.type,
        "Cache-Control": asset.cache,
        ETag: asset.etag,
        Vary: "Accept-Encoding",
        "Content-Security-Policy": DASHBOARD_CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
      };
      if (req.headers["if-none-match"] === asset.etag) {
        res.writeHead(304, headers);
        res.end();
        return;
      }
      const gzip = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
      const body = gzip ? asset.gzip : asset.body;
      res.writeHead(200, {
        ...headers,
        "Content-Length": body.length,
        ...(gzip ? { "Content-Encoding": "gzip" } : {}),
      });
      res.end(body);
    },
  };
}
