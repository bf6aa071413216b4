/**
 * TOML numbers as the agent schema types them: integers arrive as bigint (toml-values.ts), so an integer
 * field rejects `4000.0` as Caxton's Rust types would, and a float field accepts an integer as serde does.
 */
import * as z from "zod";
import { addCheckIssue } from "./schema-diagnostics.js";
import { U32_MAX } from "./agent-value-rules.js";

/** TOML integer in 0..=u32::MAX, served as a number. */
export const u32 = z
  .bigint()
  .superRefine((v, ctx) => {
    if (v < 0n || v > BigInt(U32_MAX))
      addCheckIssue(ctx, "E_AGENT_BAD_VALUE", `{key} must be an integer from 0 to ${U32_MAX}, found ${v}`);
  })
  .transform(Number);

/** TOML float (an integer is accepted too, as serde does), optionally within [min, max]. */
export function float(min?: number, max?: number) {
  return z
    .preprocess((v) => (typeof v === "bigint" ? Number(v) : v), z.number())
    .superRefine((v, ctx) => {
      if ((min !== undefined && v < min) || (max !== undefined && v > max))
        addCheckIssue(ctx, "E_AGENT_BAD_VALUE", `{key} must be between ${min} and ${max}, found ${v}`);
    });
}
