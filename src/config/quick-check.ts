/**
 * Whether one file certainly has no errors, without zod: the check `caxton deploy` runs first on the few
 * files changed since its last deploy. True means analyzeFile would report no error for the file (warnings
 * it may have are the server's to report); false means "not known": the caller runs analyzeFile, whose
 * diagnostics are the ones a user reads. Agent files get the hand-written schema check
 * (agent-quick-check.ts); `tools/mcp_servers.toml` and `caxton.toml` always answer false (rarely changed,
 * and their cross-key rules live in code beside their schemas).
 */
import { TomlError } from "smol-toml";
import { agentQuickCheck } from "./agent-quick-check.js";
import { decodeUtf8 } from "./decode-utf8.js";
import { classifyPath } from "./file-kind.js";
import { parseToml, type TomlTable } from "./toml-values.js";

export function quickCheck(path: string, content: Uint8Array): boolean {
  const kind = classifyPath(path);
  if (kind === "other") return true;
  if (kind === "mcp-servers" || kind === "settings") return false;
  const text = decodeUtf8(content);
  if (typeof text !== "string") return false;
  let data: TomlTable;
  try {
    data = parseToml(text);
  } catch (err) {
    if (err instanceof TomlError) return false;
    throw err;
  }
  return kind === "toml" || agentQuickCheck(data);
}
