/**
 * One self-rewriting status line on a TTY (stderr), fed by the client library's progress events: the
 * phase, and for the upload its percent, rate and ETA; once everything is sent, the server's part
 * (validation and apply) with the seconds it has taken so far, so a large deploy never sits silently at
 * "17 MB of 17 MB".
 */
import type { DeployProgress } from "../client/deploy-workspace.js";
import { formatBytes, formatMs } from "./format-bytes.js";

export function progressRenderer(enabled: boolean): {
  onProgress?: (p: DeployProgress) => void;
  done(): void;
} {
  if (!enabled) return { done() {} };
  let shown = false;
  let lastDraw = 0;
  let uploadStart = 0;
  let scanStart = 0;
  let ticker: NodeJS.Timeout | undefined;
  const stopTicker = (): void => {
    if (ticker) clearInterval(ticker);
    ticker = undefined;
  };
  const draw = (text: string, force = false): void => {
    const now = performance.now();
    if (!force && now - lastDraw < 80) return; // ~12 redraws a second is smooth and cheap
    lastDraw = now;
    process.stderr.write(`\r\x1b[2K${text}`);
    shown = true;
  };
  return {
    onProgress(p) {
      const now = performance.now();
      if (p.phase !== "server") stopTicker();
      switch (p.phase) {
        case "scan": {
          scanStart ||= now;
          const rate = p.hashedBytes / Math.max(0.001, (now - scanStart) / 1000);
          draw(
            `scanning: ${p.files} files, ${p.hashedFiles} hashed (${formatBytes(p.hashedBytes)}, ${formatBytes(Math.round(rate))}/s)`,
          );
          break;
        }
        case "validate":
          draw("validating…", true);
          break;
        case "negotiate":
          draw("comparing with the server…", true);
          break;
        case "upload": {
          const first = uploadStart === 0;
          uploadStart ||= now;
          const seconds = Math.max(0.001, (now - uploadStart) / 1000);
          const rate = p.sentBytes / seconds;
          const percent = p.totalBytes > 0 ? Math.floor((100 * p.sentBytes) / p.totalBytes) : 100;
          const eta = rate > 0 ? formatMs((1000 * (p.totalBytes - p.sentBytes)) / rate) : "?";
          draw(
            `uploading: ${percent}% · ${formatBytes(p.sentBytes)} of ${formatBytes(p.totalBytes)} · ${formatBytes(Math.round(rate))}/s · ETA ${eta} (${p.objects.toLocaleString("en-US")} objects)`,
            first,
          );
          break;
        }
        case "server": {
          const since = now;
          const show = (): void =>
            draw(`sent; the server is validating and applying… ${formatMs(performance.now() - since)}`, true);
          show();
          stopTicker();
          ticker = setInterval(show, 500);
          ticker.unref();
          break;
        }
      }
    },
    done() {
      stopTicker();
      if (shown) process.stderr.write("\r\x1b[2K");
      shown = false;
    },
  };
}
