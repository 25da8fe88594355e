import { z } from '@hono/zod-openapi';
import type { jobs } from '../../../db/schema';
import { malformedField } from '../../errors';
import { checkCron } from '../../schedule-spec';

const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be a plain SQL identifier');

/** The CData Sync job body. Fields other than name, type, connections and batchSize live in `options`. */
const JobFields = z
  .object({
    name: z.string().trim().min(1).max(200),
    type: z.enum(['Standard', 'SyncAll', 'LoadFolder', 'ChangeDataCapture', 'ReverseETL']).default('Standard'),
    sourceConnectionId: z.number().int().positive(),
    destinationConnectionId: z.number().int().positive(),
    schedule: z
      .object({ enabled: z.boolean(), cron: z.string().optional() })
      .strict()
      .optional()
      .openapi({ description: 'A Temporal Schedule that runs the job with trigger SCHEDULER (overlap policy SKIP, UTC). Disabled: the schedule is kept paused.' }),
    sendEmail: z.boolean().optional(),
    emailTo: z.array(z.email()).optional(),
    emailSubject: z.string().max(500).optional(),
    emailErrorOnly: z.boolean().optional(),
    enableParallelProcessing: z.boolean().optional(),
    workerPool: z.number().int().min(1).max(64).optional(),
    verbosity: z.number().int().min(1).max(4).optional(),
    destinationSchema: identifier.optional(),
    tableNamePrefix: z.string().regex(/^[A-Za-z0-9_]{0,30}$/, 'letters, digits and underscores only').optional(),
    useGmtDateTime: z.boolean().optional(),
    historyMode: z.boolean().optional(),
    truncateTableData: z.boolean().optional(),
    dropTable: z.boolean().optional(),
    autoTruncateStrings: z.boolean().optional(),
    continueOnError: z.boolean().optional(),
    deletionBehavior: z.enum(['HardDelete', 'SoftDelete', 'Skip']).optional(),
    alterSchema: z.boolean().optional(),
    replicateInterval: z.number().int().min(1).optional(),
    replicateIntervalUnit: z.enum(['Minutes', 'Hours', 'Days', 'Weeks', 'Months', 'Years']).optional(),
    replicateStartDate: z.iso.date().optional(),
    batchSize: z.number().int().min(1).max(10_000).default(100),
    preJobEvent: z.string().optional(),
    postJobEvent: z.string().optional(),
    labels: z.array(z.string().min(1).max(100)).optional(),
    pipelineId: z.string().optional(),
  })
  .strict();

export const JobBody = JobFields;

/**
 * The job's schedule is written to a Temporal Schedule: a cron it cannot read is a 400 naming
 * `schedule.cron`. An empty cron with the schedule disabled is the seed's way of saying "no schedule".
 */
export function checkJobSchedule(body: JobBodyInput): void {
  const cron = body.schedule?.cron?.trim();
  if (!cron) {
    if (body.schedule?.enabled) throw malformedField('schedule.cron', 'an enabled schedule needs a cron');
    return;
  }
  checkCron(cron, 'schedule.cron');
}

export type JobBodyInput = z.infer<typeof JobBody>;

export const JobSchema = z
  .object({
    id: z.number().int(),
    workspaceId: z.number().int(),
    paused: z.boolean().openapi({ description: 'Paused by POST /jobs/{id}/pause until resumed' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .extend(JobFields.partial().shape)
  .openapi('Job');

export function jobView(row: typeof jobs.$inferSelect): z.infer<typeof JobSchema> {
  return {
    ...row.options,
    id: row.id,
    workspaceId: row.workspaceId,
    name: row.name,
    type: row.type as JobBodyInput['type'],
    sourceConnectionId: row.sourceConnectionId,
    destinationConnectionId: row.destinationConnectionId,
    batchSize: row.batchSize,
    paused: row.paused,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Splits a validated body into the job's columns and its options. */
export function jobColumns(body: JobBodyInput) {
  const { name, type, sourceConnectionId, destinationConnectionId, batchSize, ...options } = body;
  return { name, type, sourceConnectionId, destinationConnectionId, batchSize, options };
}
