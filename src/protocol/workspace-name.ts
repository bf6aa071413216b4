/** Workspace names, on the wire (`/api/v1/workspaces/{name}/…`), in token files and in storage. */
export const WORKSPACE_NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;

/** The workspace the un-prefixed API (`/api/v1/…`) serves. */
export const DEFAULT_WORKSPACE_NAME = "default";

/**
 * How a server the client resolved is shown to people: the client keys a workspace other than `default`
 * as `URL#NAME` (cli/resolve-target.ts); that is said `URL (workspace NAME)`.
 */
export function serverLabel(server: string): string {
  const hash = server.lastIndexOf("#");
  return hash === -1 ? server : `${server.slice(0, hash)} (workspace ${server.slice(hash + 1)})`;
}
