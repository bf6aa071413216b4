/** One self-rewriting status line on a TTY (stderr), fed by the client library's progress events. */
import type { DeployProgress } from "../client/deploy-workspace.js";
import { formatBytes } from "./format-bytes.js";

export function progressRenderer(enabled: boolean): {
  onProgress?: (p: DeployProgress) => void;
  done(): void;
} {
  if (!enabled) return { done() {} };
  let shown = false;
  let lastDraw = 0;
  const draw = (text: string, force = false): void => {
    const now = performance.now();
    if (!force && now - lastDraw < 80) return; // ~12 redraws a second is smooth and cheap
    lastDraw = now;
    process.stderr.write(`\r\x1b[2K${text}`);
    shown = true;
  };
  return {
    onProgress(p) {
      switch (p.phase) {
        case "scan":
          draw(`scanning: ${p.files} files, ${p.hashedFiles} hashed (${formatBytes(p.hashedBytes)})`);
          break;
        case "validate":
          draw("validating…", true);
          break;
        case "negotiate":
          draw("comparing with the server…", true);
          break;
        case "upload":
          draw(
            `uploading: ${formatBytes(p.sentBytes)} of ${formatBytes(p.totalBytes)} (${p.objects} objects)`,
          );
          break;
        case "apply":
          draw("applying…", true);
          break;
      }
    },
    done() {
      if (shown) process.stderr.write("\r\x1b[2K");
    },
  };
}
