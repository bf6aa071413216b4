/** Where the local state lives: $CAXTON_STATE_DIR, else $XDG_STATE_HOME/caxton, else ~/.local/state/caxton. */
import { homedir } from "node:os";
import { join } from "node:path";

export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CAXTON_STATE_DIR) return env.CAXTON_STATE_DIR;
  if (env.XDG_STATE_HOME) return join(env.XDG_STATE_HOME, "caxton");
  return join(homedir(), ".local", "state", "caxton");
}
