/**
 * A private copy of the built CLI (bin/ and dist/, without the tests, the bench and support/), so that one
 * bench run measures one build from start to end. The checkout is shared with other sessions that rebuild dist/ and
 * change bin/ at any moment; without the copy, a 10-minute run could measure S on one build and XL on
 * another. The copy lives under bench/results/ (git-ignored) so that `node_modules` still resolves from it.
 */
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { join, relative, sep } from "node:path";

export interface BuildSnapshot {
  /** the copy's root: pass it as the repository when mapping profiles back to src/ */
  dir: string;
  /** the copy's bin/caxton */
  caxton: string;
  remove(): void;
}

const SKIPPED = new Set(["bench", "test", "scripts", "support", ".tsbuildinfo"]);

export function snapshotBuild(repo: string): BuildSnapshot {
  const dir = join(repo, "bench", "results", `.build-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(join(repo, "bin"), join(dir, "bin"), { recursive: true });
  const dist = join(repo, "dist");
  cpSync(dist, join(dir, "dist"), {
    recursive: true,
    filter: (src) => {
      const top = relative(dist, src).split(sep)[0] ?? "";
      return !SKIPPED.has(top);
    },
  });
  return {
    dir,
    caxton: join(dir, "bin", "caxton"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
