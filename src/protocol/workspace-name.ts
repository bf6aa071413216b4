/** Workspace names, on the wire (`/api/v1/workspaces/{name}/…`), in token files and in storage. */
export const WORKSPACE_NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;

/** The workspace the un-prefixed API (`/api/v1/…`) serves. */
export const DEFAULT_WORKSPACE_NAME = "default";
