/**
 * The tables Caxton's agent-format guide documents beyond its domain schema: `[permissions]`, `[schedule]`,
 * `[memory.context_preparation]`, `[audit]`, `[monitoring]`, `[development]`, and the guide's extra
 * `[memory]` keys' formats. Each key typed and range-checked; defaults (ours, taken from the values the
 * guide's complete schema shows) are filled in when the table is written. A table that is not written stays
 * absent: the guide marks all of them optional and says nothing of what an absent one means.
 */
import * as z from "zod";
import { checkCron } from "./cron-expression.js";
import { fixQuantity, parseDuration, parseSize } from "./duration-size.js";
import { u32, float } from "./number-schemas.js";
import { addCheckIssue } from "./schema-diagnostics.js";
import { checkTimeZone } from "./time-zone.js";
import { FILE_ACCESS, NETWORK_ACCESS } from "./agent-value-rules.js";

export const GUIDE_DEFAULTS = {
  permissions: { file_access: "readonly", network_access: "restricted" },
  schedule: { timezone: "UTC", enabled: false },
  context_preparation: { enabled: true, max_context_length: 8000, relevance_threshold: 0.8 },
  audit: { log_operations: true, log_sensitive_data: false },
  monitoring: { performance_tracking: true, error_reporting: true },
  development: { hot_reload: true, debug_mode: false, test_mode: false },
} as const;

/** A duration string such as "100ms", "5m", "30d" (served as written). */
export const duration = z.string().superRefine((v, ctx) => {
  if (parseDuration(v) !== null) return;
  const fixed = fixQuantity(v, "duration");
  addCheckIssue(
    ctx,
    "E_AGENT_BAD_DURATION",
    `invalid duration ${JSON.stringify(v)} in {key}: expected a positive integer and a unit (ms, s, m, h, d, w, y)`,
    fixed !== null ? `write ${JSON.stringify(fixed)}` : 'e.g. "100ms", "5m" or "30d"',
  );
});

/** A size string such as "100MB" (served as written). */
export const size = z.string().superRefine((v, ctx) => {
  if (parseSize(v) !== null) return;
  const fixed = fixQuantity(v, "size");
  addCheckIssue(
    ctx,
    "E_AGENT_BAD_SIZE",
    `invalid size ${JSON.stringify(v)} in {key}: expected a positive integer and a unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)`,
    fixed !== null ? `write ${JSON.stringify(fixed)}` : 'e.g. "100MB"',
  );
});

const cron = z.string().superRefine((v, ctx) => {
  const problem = checkCron(v);
  if (problem) addCheckIssue(ctx, "E_AGENT_BAD_CRON", problem.message, problem.suggestion, problem.offset);
});

const timezone = z.string().superRefine((v, ctx) => {
  const problem = checkTimeZone(v);
  if (problem) addCheckIssue(ctx, "E_AGENT_BAD_TIMEZONE", problem.message, problem.suggestion);
});

export const permissionsShape = {
  file_access: z.enum(FILE_ACCESS).default(GUIDE_DEFAULTS.permissions.file_access),
  network_access: z.enum(NETWORK_ACCESS).default(GUIDE_DEFAULTS.permissions.network_access),
  memory_limit: size.optional(),
  cpu_limit: duration.optional(),
};

export const scheduleShape = {
  cron,
  timezone: timezone.default(GUIDE_DEFAULTS.schedule.timezone),
  enabled: z.boolean().default(GUIDE_DEFAULTS.schedule.enabled),
};

export const contextPreparationShape = {
  enabled: z.boolean().default(GUIDE_DEFAULTS.context_preparation.enabled),
  max_context_length: u32.default(GUIDE_DEFAULTS.context_preparation.max_context_length),
  relevance_threshold: float(0, 1).default(GUIDE_DEFAULTS.context_preparation.relevance_threshold),
};

export const auditShape = {
  log_operations: z.boolean().default(GUIDE_DEFAULTS.audit.log_operations),
  log_sensitive_data: z.boolean().default(GUIDE_DEFAULTS.audit.log_sensitive_data),
  retention_period: duration.optional(),
};

export const monitoringShape = {
  health_check_interval: duration.optional(),
  performance_tracking: z.boolean().default(GUIDE_DEFAULTS.monitoring.performance_tracking),
  error_reporting: z.boolean().default(GUIDE_DEFAULTS.monitoring.error_reporting),
};

export const developmentShape = {
  hot_reload: z.boolean().default(GUIDE_DEFAULTS.development.hot_reload),
  debug_mode: z.boolean().default(GUIDE_DEFAULTS.development.debug_mode),
  test_mode: z.boolean().default(GUIDE_DEFAULTS.development.test_mode),
};
