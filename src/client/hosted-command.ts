/**
 * Commands the file-system monitor runs on a client's behalf: the shapes both ends speak, and which
 * command lines qualify. A resident monitor process has Node started, the CLI's modules loaded and the
 * validators compiled already, so a `deploy` or `status` it runs skips what is otherwise most of a small
 * command's time (gradle's daemon and bazel's server work the same way). The `caxton` process then only
 * forwards its arguments, working folder, environment and terminal, and relays output, questions and the
 * exit code (cli/forward-command.ts; the monitor's side: cli/host-command.ts).
 *
 * Protocol, on the monitor's socket (one JSON object per line each way): the client sends a `RunRequest`;
 * the monitor answers `{"declined": reason}` (the client then runs the command itself) or
 * `{"accepted": true}`, then any number of `{"out": text}`, `{"err": text}` and `{"ask": question}`
 * (answered by the client's `{"answer": text}`), and last `{"exit": code}`.
 */
import { statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { VERSION } from "../version.js";

/** The commands a monitor may run: short, non-interactive but for a yes/no question, no stdin. */
export const HOSTED_COMMANDS = ["deploy", "status"] as const;

/** Flags that make a command long-running or its own: those always run in the client's process. */
const NOT_HOSTED_FLAGS = ["--watch", "--poll", "--help", "-h"] as const;

export interface HostedTerminalSpec {
  /** which of the client's streams are terminals */
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  /** the terminal's width, when stderr is one */
  columns: number | null;
}

export interface RunRequest {
  op: "run";
  /** the client's build (hostedBuild()): a monitor started from another build declines */
  build: string;
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  tty: HostedTerminalSpec;
}

export type HostFrame =
  | { declined: string }
  | { accepted: true }
  | { out: string }
  | { err: string }
  | { ask: string }
  | { exit: number };

/** The client's end, as the monitor's host sees it while the command runs. */
export interface HostedTerminal {
  readonly tty: HostedTerminalSpec;
  out(text: string): void;
  err(text: string): void;
  /** one line typed at the client's terminal ("" once the client has gone) */
  ask(question: string): Promise<string>;
}

/** What runs requests for the monitor. */
export interface CommandHost {
  /** why it will not run this request (answered before anything runs); null when it will */
  declines(request: RunRequest): string | null;
  /** runs it to its exit code (whatever went wrong has been written to the terminal) */
  run(request: RunRequest, terminal: HostedTerminal): Promise<number>;
}

/** Whether a command line may run in the monitor (both ends check it). */
export function hostable(argv: readonly string[]): boolean {
  const [name, ...rest] = argv;
  if (!(HOSTED_COMMANDS as readonly (string | undefined)[]).includes(name)) return false;
  for (const arg of rest) {
    if ((NOT_HOSTED_FLAGS as readonly string[]).some((f) => arg === f || arg.startsWith(`${f}=`)))
      return false;
    // a file named by the client's own descriptors (--token-file /dev/stdin) is not the monitor's
    if (arg === "-" || /(^|=)\/(dev|proc)\//.test(arg)) return false;
  }
  return true;
}

/** Set by the bundler (scripts/bundle.mjs), the same in every file of one build; absent unbundled. */
declare const __CAXTON_BUILD__: string | undefined;

let build: string | undefined;

/**
 * This build of caxton, so a monitor started before a rebuild or an upgrade (whose code, and whose lazily
 * loaded chunks, are gone) declines: the bundler's id for the build, or unbundled the version and the
 * identity of the file that holds this code.
 */
export function hostedBuild(): string {
  if (build === undefined) {
    if (typeof __CAXTON_BUILD__ === "string") build = `${VERSION}:${__CAXTON_BUILD__}`;
    else {
      const file = fileURLToPath(import.meta.url);
      const st = statSync(file, { throwIfNoEntry: false });
      build = `${VERSION}:${file}:${st ? `${st.ino}:${st.mtimeMs}` : "unknown"}`;
    }
  }
  return build;
}
