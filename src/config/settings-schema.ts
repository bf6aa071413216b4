/**
 * The shape of `caxton.toml`, the optional workspace settings: `[deploy] server` (the spec's own choice),
 * `[deploy] require_allow_breaking` (the breaking-change policy) and `[workspace] allow_links_to` (folders
 * outside the workspace that symbolic links may lead into, workspace/link-boundary.ts); anything else is a
 * warning, since a later version may add settings.
 */
import * as z from "zod";
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
    deploy: { keys: { server: null, require_allow_breaking: null } },
    workspace: { keys: { allow_links_to: null } },
  },
};
