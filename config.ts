// The one module that reads process.env. Everything else receives a parsed Config.
import { z } from 'zod';

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/syncline'),
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('syncline'),
  TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  SYNCLINE_ADMIN_KEY: z.string().min(16).optional(),
  SYNCLINE_SECRET_KEY: z.string().min(16).optional(),
  TEMPORAL_CLI: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  RUN_LOG_SUCCESS_DAYS: z.coerce.number().int().min(0).max(3650).default(7),
  RUN_LOG_ERROR_DAYS: z.coerce.number().int().min(0).max(3650).default(30),
  WORKFLOW_BUNDLE_PATH: z.string().min(1).optional(),
});

export interface Config {
  port: number;
  databaseUrl: string;
  /** Unset means "no Temporal server given": `npm run dev` then starts a dev server. */
  temporalAddress: string | undefined;
  temporalNamespace: string;
  taskQueue: string;
  temporalUiPort: number | undefined;
  adminKey: string | undefined;
  secretKey: string | undefined;
  temporalCli: string | undefined;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** How long per-object run log entries are kept: successes, and failures (longer). */
  runLogRetention: { successDays: number; errorDays: number };
  /** A workflow bundle built by `npm run build`; unset: the worker bundles at start. */
  workflowBundlePath: string | undefined;
}

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid environment: ${fields}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    temporalAddress: e.TEMPORAL_ADDRESS,
    temporalNamespace: e.TEMPORAL_NAMESPACE,
    taskQueue: e.TEMPORAL_TASK_QUEUE,
    temporalUiPort: e.TEMPORAL_UI_PORT,
    adminKey: e.SYNCLINE_ADMIN_KEY,
    secretKey: e.SYNCLINE_SECRET_KEY,
    temporalCli: e.TEMPORAL_CLI,
    logLevel: e.LOG_LEVEL,
    runLogRetention: { successDays: e.RUN_LOG_SUCCESS_DAYS, errorDays: e.RUN_LOG_ERROR_DAYS },
    workflowBundlePath: e.WORKFLOW_BUNDLE_PATH,
  };
}
