import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "bench/results/"] },
  js.configs.recommended,
  { languageOptions: { globals: globals.node } },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": "off",
    },
  },
  {
    // The dashboard runs in the browser (bundled by scripts/bundle.mjs), not in Node.
    files: ["src/dashboard/**"],
    languageOptions: { globals: globals.browser },
  },
  {
    // Pure core: no I/O. Enforced so the architecture in the folder READMEs cannot rot.
    files: [
      "src/merkle/**",
      "src/protocol/**",
      "src/delta/**",
      "src/compression/**",
      "src/config/**",
      "src/errors/**",
    ],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: [
                "node:fs",
                "node:fs/*",
                "node:net",
                "node:http",
                "node:https",
                "node:child_process",
                "better-sqlite3",
                "fs",
                "http",
              ],
              message:
                "pure modules do no I/O; move this to an edge folder (store/, server/, client/, cli/, workspace/)",
            },
            {
              group: ["../store/*", "../server/*", "../client/*", "../cli/*", "../workspace/*"],
              message: "pure modules import only pure modules",
            },
          ],
        },
      ],
    },
  },
);
