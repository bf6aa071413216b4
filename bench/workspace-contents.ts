/** A generated workspace read into memory: relative path → bytes (the benches that play the client). */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

export function workspaceContents(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (abs: string): void => {
    for (const e of readdirSync(abs, { withFileTypes: true })) {
      const path = join(abs, e.name);
      if (e.isDirectory()) walk(path);
      else out.set(relative(dir, path), readFileSync(path));
    }
  };
  walk(dir);
  return out;
}
