/** Reads a folder (following links, as a reader of DATA/current would) into path → content, for comparisons. */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (abs: string, rel: string): void => {
    for (const name of readdirSync(abs).sort()) {
      const a = join(abs, name);
      const r = rel ? `${rel}/${name}` : name;
      if (statSync(a).isDirectory()) walk(a, r);
      else out.set(r, readFileSync(a).toString("base64"));
    }
  };
  walk(dir, "");
  return out;
}
