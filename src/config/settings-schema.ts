/**
 * The shape of `caxton.toml`, the optional workspace settings: `[deploy] server` (the spec's own choice),
 * `[deploy] workspace` (the server's workspace to deploy to),
 * `[deploy] require_allow_breaking` (the breaking-change policy) and `[workspace] allow_links_to` (folders
 * outside the workspace that symbolic links may lead into, workspace/link-boundary.ts); anything else is a
 * warning, since a later version may add settings.
 */
import * as z from "zod";
import { WORKSPACE_NAME_PATTERN } from "../protocol/workspace-name.js";
import { isHttpUrl } from "./mcp-servers-schema.js";
import { addCheckIssue, table, type KeyTree } from "./schema-diagnostics.js";

export const settingsSchema = z.object({
  deploy: table({
    server: z
      .string()
      .superRefine((v, ctx) => {
        if (!isHttpUrl(v))
          addCheckIssue(
            ctx,
            "E_SETTINGS_BAD_URL",
            `invalid URL ${JSON.stringify(v)} in {key}: must be an http or https URL`,
            'e.g. "http://127.0.0.1:8080"',
          );
      })
      .optional(),
    /** the server's workspace this folder deploys to (--workspace and $CAXTON_WORKSPACE win over it) */
    workspace: z
      .string()
      .superRefine((v, ctx) => {
        if (!WORKSPACE_NAME_PATTERN.test(v))
          addCheckIssue(
            ctx,
            "E_SETTINGS_BAD_WORKSPACE",
            `invalid workspace name ${JSON.stringify(v)} in {key}`,
            "1 to 63 lowercase letters, digits and '-', starting with a letter",
          );
      })
      .optional(),
    /** the breaking-change policy (breaking-guard.ts): deploys with breaking changes need --allow-breaking */
    require_allow_breaking: z.boolean().optional(),
  }).optional(),
  workspace: table({
    allow_links_to: z.array(z.string().min(1).max(4096)).max(64).optional(),
  }).optional(),
});

export type WorkspaceSettings = z.output<typeof settingsSchema>;

export const SETTINGS_KEY_TREE: KeyTree = {
  keys: {
    deploy: { keys: { server: null, workspace: null, require_allow_breaking: null } },
    workspace: { keys: { allow_links_to: null } },
  },
};
