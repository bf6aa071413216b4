/**
 * The table of error codes: HTTP status (server side), CLI exit code (client side) and default hint.
 * Exit codes (EXIT_CODES below, docs/cli.md): 0 success, 1 rejected with nothing applied (or, for
 * `caxton diff`, differences found), 2 usage or workspace error, 3 server unreachable or protocol error,
 * 4 not authorized, 5 no such deployment, agent or object. ErrorDetails: the `detail` each code carries.
 */
import type { MassDeletion } from "../config/deletion-guard.js";
import type { AgentPlan, DeployConflict } from "../protocol/messages.js";
import type { Diagnostic } from "./caxton-error.js";

/** What each exit code means, for help and docs: the one place they are described. */
export const EXIT_CODES = [
  [0, 'success, including "nothing to deploy"; `diff`: no differences'],
  [1, "rejected (validation, conflict, deletion guard): nothing applied; `diff`: there are differences"],
  [2, "usage error, or a workspace problem (not a workspace, dangling link, special file, bad file name)"],
  [3, "server unreachable, or a protocol/integrity error (checksum mismatch, limits, server error)"],
  [4, "not authorized: the server wants a token, or refused the one given"],
  [5, "no such deployment, agent or object (e.g. `rollback 999`, `show 999`, `agents NAME`)"],
] as const;

export const ERROR_CODES = {
  // usage and workspace (client side)
  E_USAGE: { http: 400, exit: 2, hint: "run `caxton --help` for usage" },
  E_WORKSPACE: { http: 400, exit: 2, hint: undefined },
  E_UNSAFE_PATH: {
    http: 400,
    exit: 2,
    hint: "paths must be relative, UTF-8, without '..', '.', empty segments or control characters",
  },
  E_SYMLINK: { http: 400, exit: 2, hint: "fix or remove the link, or list it in .caxtonignore" },
  E_SPECIAL_FILE: {
    http: 400,
    exit: 2,
    hint: "only regular files, directories and links to them are deployable; list it in .caxtonignore",
  },
  E_WORKSPACE_NAME: {
    http: 400,
    exit: 2,
    hint: "a workspace name is 1 to 63 lowercase letters, digits and '-', starting with a letter",
  },
  E_BAD_NAME: { http: 400, exit: 2, hint: "rename the file so its name is valid UTF-8" },
  E_STATE: {
    http: 500,
    exit: 2,
    hint: "the local state is a cache of yours; CAXTON_STATE_DIR chooses the folder it lives in",
  },
  // validation (deployment rejected, nothing applied)
  E_VALIDATION: { http: 422, exit: 1, hint: "fix the errors above and deploy again; nothing was applied" },
  E_CONFLICT: {
    http: 409,
    exit: 1,
    hint: "someone else changed these files since your last deploy: pull their change, or deploy with --force to overwrite it",
  },
  E_MASS_DELETION: {
    http: 409,
    exit: 1,
    hint: "check that this is the workspace you meant to deploy; to deploy it anyway, pass --yes",
  },
  E_BREAKING_CHANGE: {
    http: 409,
    exit: 1,
    hint: "this workspace requires --allow-breaking for breaking changes ([deploy] require_allow_breaking in caxton.toml); review the plan with `caxton deploy --dry-run`, then pass --allow-breaking",
  },
  E_LOCAL_EDITS: {
    http: 409,
    exit: 1,
    hint: "deploy or move your edits first, or pass --force to overwrite them with the server's version",
  },
  // access
  E_UNAUTHORIZED: {
    http: 401,
    exit: 4,
    hint: "pass the server's token with --token, $CAXTON_TOKEN or --token-file",
  },
  E_WRONG_WORKSPACE: {
    http: 403,
    exit: 4,
    hint: "use a token of this workspace, or pass --workspace with the workspace the token is for",
  },
  E_READ_ONLY: {
    http: 403,
    exit: 4,
    hint: "deploying needs a token of role deploy (`caxton token create FILE --workspace NAME`) or the admin token",
  },
  E_ADMIN_ONLY: { http: 403, exit: 4, hint: "only the server's admin token (one without a workspace) may" },
  // protocol and integrity
  E_BAD_REQUEST: { http: 400, exit: 3, hint: undefined },
  E_CHECKSUM_MISMATCH: { http: 422, exit: 3, hint: "the content changed while it was sent; deploy again" },
  E_MISSING_OBJECTS: { http: 409, exit: 3, hint: undefined },
  E_BASE_MISMATCH: { http: 412, exit: 3, hint: "the server moved on since your last deploy; deploy again" },
  E_NOT_FOUND: { http: 404, exit: 5, hint: undefined },
  E_NO_WORKSPACE: {
    http: 404,
    exit: 5,
    hint: "`caxton workspaces` lists this server's workspaces; a workspace is created by its first deploy",
  },
  E_METHOD: { http: 405, exit: 3, hint: undefined },
  E_TOO_LARGE: { http: 413, exit: 3, hint: "raise the server's limit or make the workspace smaller" },
  E_UNSUPPORTED: { http: 415, exit: 3, hint: "client and server versions differ; upgrade the older one" },
  E_BUSY: { http: 503, exit: 3, hint: "another deployment is in progress; try again" },
  E_UNREACHABLE: { http: 503, exit: 3, hint: "is `caxton serve` running? check --server or $CAXTON_SERVER" },
  E_PROTOCOL: {
    http: 502,
    exit: 3,
    hint: "client and server disagree on the protocol; upgrade the older one",
  },
  E_INTERNAL: { http: 500, exit: 3, hint: "see the server's log" },
  E_MONITOR: {
    http: 500,
    exit: 3,
    hint: "run the command again (it runs in this process when no monitor answers); `caxton monitor status` says whether the monitor still runs",
  },
  E_STORAGE: {
    http: 507,
    exit: 3,
    hint: "the server could not write its data dir (disk full?); nothing was applied",
  },
  E_DATABASE: {
    http: 503,
    exit: 3,
    hint: "the server's PostgreSQL database is unreachable; nothing was applied — deploy again once it is back",
  },
} as const satisfies Record<string, { http: number; exit: number; hint: string | undefined }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The limits an E_TOO_LARGE or E_BUSY names (server flags, and what the server tells the client). */
export type LimitName =
  | "max_body_bytes"
  | "max_object_bytes"
  | "max_files"
  | "max_depth"
  | "max_concurrent_uploads"
  | "max_rollback_request_bytes";

/** Marks an error met while rebuilding a delta, so the client sends that object whole. */
interface DeltaMark {
  object?: string;
  base?: string;
  delta?: true;
}

/**
 * The machine-readable detail each code carries (the JSON error body's `detail`); `never`: none. A
 * `CaxtonError<C>` takes and gives `ErrorDetail<C>`, so a throw with another shape does not compile.
 */
interface ErrorDetailTable {
  E_USAGE: never;
  E_WORKSPACE: never;
  E_UNSAFE_PATH: never;
  E_SYMLINK: never;
  E_SPECIAL_FILE: never;
  E_WORKSPACE_NAME: never;
  E_BAD_NAME: never;
  /** what is wrong with the local state file */
  E_STATE: { state: "damaged" | "foreign" | "read-only" | "other"; file: string };
  E_VALIDATION: { errors: Diagnostic[]; warnings: Diagnostic[] };
  E_CONFLICT: { conflicts: DeployConflict[] };
  E_MASS_DELETION: MassDeletion;
  /** the refused plan (capped); undefined when a server's plan did not match its schema */
  E_BREAKING_CHANGE: { plan: AgentPlan | undefined };
  /** local edits a pull would overwrite (at most 1,000) */
  E_LOCAL_EDITS: { edited: string[] };
  E_UNAUTHORIZED: never;
  E_WRONG_WORKSPACE: never;
  E_READ_ONLY: never;
  E_ADMIN_ONLY: never;
  /** a malformed delta (`reason`) */
  E_BAD_REQUEST: DeltaMark & { reason?: "size" | "format" | "corrupt" };
  E_CHECKSUM_MISMATCH: DeltaMark & { reason?: "checksum"; expected?: string; actual?: string };
  E_MISSING_OBJECTS: {
    missing: string[];
    /** objects sent as deltas that were not rebuilt, and why */
    unapplied_deltas?: { object: string; base: string; reason: "base-missing" | "not-eligible" }[];
  };
  /** what is live now */
  E_BASE_MISMATCH: { current: { deployment_id: number; checksum: string } | null };
  E_NOT_FOUND: never;
  E_NO_WORKSPACE: never;
  E_METHOD: never;
  E_TOO_LARGE: DeltaMark & {
    /** the limit gone over; a decoder's own cap is its size in bytes (the server names it when it answers) */
    limit?: LimitName | number;
    value?: number;
    /** the file over `max_object_bytes`, and its size */
    path?: string;
    size?: number;
    /** the size a delta declares */
    declared?: number;
    /** the decoder's zstd window (a frame that needs more) */
    windowLogMax?: number;
  };
  E_UNSUPPORTED: { content_encoding: string; supported: string[] };
  E_BUSY: { limit: "max_concurrent_uploads"; value: number };
  /**
   * a connection lost after the request went out: `silentFor` seconds of silence first (a time-out); `live`:
   * whether the deployment went live (null: unknown)
   */
  E_UNREACHABLE: { connection: "lost"; silentFor?: number; live?: false | null };
  E_PROTOCOL: never;
  E_INTERNAL: never;
  /** the file-system monitor that ran the command went away before it finished; its log */
  E_MONITOR: { log: string };
  E_STORAGE: never;
  E_DATABASE: never;
}

/** Every code has its row in the table of details, and nothing else does. */
type EveryCode<T> = [Exclude<ErrorCode, keyof T>, Exclude<keyof T, ErrorCode>] extends [never, never]
  ? T
  : never;
export type ErrorDetails = EveryCode<ErrorDetailTable>;
export type ErrorDetail<C extends ErrorCode> = ErrorDetails[C];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ERROR_CODES, value);
}
