import { z } from '@hono/zod-openapi';
import { ScheduleNotFoundError } from '@temporalio/client';
import { and, desc, eq, inArray, isNull } from 'drizzle-orm';
import type { Db } from '../../../db/client';
import { connectedSystems, jobs, OVERLAP_POLICIES, runProfiles, runs, schedules, type ScheduleStep } from '../../../db/schema';
import type { AppDeps } from '../../app';
import { ApiError, invalidField, notFound } from '../../errors';
import { requireWorkspace } from '../../lookups';
import { checkTiming, temporalScheduleId, type ScheduleRow } from '../../schedule-spec';
import { updateScheduleRow, withScheduleChanges, type ScheduleValues } from '../../schedule-store';

const StepBody = z
  .object({
    stepIndex: z.number().int().min(0).max(1000).optional().openapi({ description: 'Steps sharing an index run in parallel; absent: the step’s position' }),
    jobId: z.number().int().positive().optional(),
    runProfileId: z.number().int().positive().optional(),
    continueOnFailure: z.boolean().default(false).openapi({ description: 'A FAILED, CANCELLED or SKIPPED step does not stop the steps after it' }),
  })
  .strict()
  .refine((s) => (s.jobId === undefined) !== (s.runProfileId === undefined), { message: 'a step names exactly one of jobId and runProfileId' });

export const ScheduleBody = z
  .object({
    workspaceId: z.number().int().positive(),
    name: z.string().trim().min(1).max(200),
    cron: z.array(z.string()).min(1).max(20).optional().openapi({ description: 'Cron expressions (5, 6 or 7 fields, @daily, @every 30s); or give interval', example: ['0 2 * * *'] }),
    interval: z.string().optional().openapi({ description: 'Time between firings, such as 30s, 15m or 2h', example: '15m' }),
    timezone: z.string().default('UTC').openapi({ description: 'IANA time zone of the cron expressions', example: 'Europe/Amsterdam' }),
    steps: z.array(StepBody).min(1).max(50),
    overlapPolicy: z.enum(OVERLAP_POLICIES).default('SKIP').openapi({ description: 'What a firing does while the previous run still runs' }),
    catchupWindow: z.string().default('10m').openapi({ description: 'How late a missed firing may still start after an outage (at least 10s)' }),
    enabled: z.boolean().default(true),
  })
  .strict();
export type ScheduleBodyInput = z.infer<typeof ScheduleBody>;

const RunSummary = z.object({ id: z.string(), state: z.string(), trigger: z.string(), startTime: z.string().nullable(), endTime: z.string().nullable() });

export const ScheduleSchema = z
  .object({
    id: z.number().int(),
    workspaceId: z.number().int(),
    name: z.string(),
    jobId: z.number().int().nullable().openapi({ description: 'Set for a job’s own schedule, which the job’s schedule field changes' }),
    cron: z.array(z.string()).nullable(),
    interval: z.string().nullable(),
    timezone: z.string(),
    steps: z.array(z.object({ stepIndex: z.number().int(), jobId: z.number().int().optional(), runProfileId: z.number().int().optional(), continueOnFailure: z.boolean() })),
    overlapPolicy: z.enum(OVERLAP_POLICIES),
    catchupWindow: z.string(),
    enabled: z.boolean(),
    paused: z.boolean(),
    temporalScheduleId: z.string(),
    nextRunTimes: z.array(z.string()).openapi({ description: 'The next 5 firings (empty while disabled or paused)' }),
    lastRun: RunSummary.nullable(),
    recentActions: z.array(z.object({ scheduledAt: z.string(), takenAt: z.string(), workflowId: z.string(), temporalRunId: z.string() })),
    actionCounts: z.object({ taken: z.number().int(), skippedOverlap: z.number().int(), missedCatchupWindow: z.number().int(), running: z.number().int() }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Schedule');
export type ScheduleView = z.infer<typeof ScheduleSchema>;

/** Row values from a body whose timing and steps are checked (400 for timing, 422 for steps). */
export async function scheduleValues(db: Db, body: ScheduleBodyInput): Promise<ScheduleValues> {
  checkTiming({ cron: body.cron ?? null, interval: body.interval ?? null, timezone: body.timezone, catchupWindow: body.catchupWindow });
  await requireWorkspace(db, body.workspaceId, 'workspaceId');
  const steps: ScheduleStep[] = body.steps.map((s, i) => ({
    stepIndex: s.stepIndex ?? i,
    ...(s.jobId !== undefined ? { jobId: s.jobId } : {}),
    ...(s.runProfileId !== undefined ? { runProfileId: s.runProfileId } : {}),
    continueOnFailure: s.continueOnFailure,
  }));
  await checkStepTargets(db, body.workspaceId, steps);
  return {
    workspaceId: body.workspaceId,
    name: body.name,
    cron: body.cron ?? null,
    interval: body.interval ?? null,
    timezone: body.timezone,
    steps,
    overlapPolicy: body.overlapPolicy,
    catchupWindow: body.catchupWindow,
    enabled: body.enabled,
  };
}

async function checkStepTargets(db: Db, workspaceId: number, steps: ScheduleStep[]): Promise<void> {
  const jobIds = steps.flatMap((s) => (s.jobId ? [s.jobId] : []));
  const profileIds = steps.flatMap((s) => (s.runProfileId ? [s.runProfileId] : []));
  const foundJobs = new Set(
    jobIds.length ? (await db.select({ id: jobs.id }).from(jobs).where(and(inArray(jobs.id, jobIds), eq(jobs.workspaceId, workspaceId)))).map((j) => j.id) : [],
  );
  const foundProfiles = new Set(
    profileIds.length
      ? (
          await db
            .select({ id: runProfiles.id })
            .from(runProfiles)
            .innerJoin(connectedSystems, eq(connectedSystems.id, runProfiles.connectedSystemId))
            .where(and(inArray(runProfiles.id, profileIds), eq(connectedSystems.workspaceId, workspaceId)))
        ).map((p) => p.id)
      : [],
  );
  for (const [i, step] of steps.entries()) {
    if (step.jobId && !foundJobs.has(step.jobId)) throw invalidField(`steps.${i}.jobId`, `job ${step.jobId} does not exist in workspace ${workspaceId}`);
    if (step.runProfileId && !foundProfiles.has(step.runProfileId)) {
      throw invalidField(`steps.${i}.runProfileId`, `run profile ${step.runProfileId} does not exist in workspace ${workspaceId}`);
    }
  }
}

export async function findSchedule(db: Db, id: number): Promise<ScheduleRow> {
  const [row] = await db.select().from(schedules).where(eq(schedules.id, id));
  if (!row) throw notFound('Schedule', id);
  return row;
}

/** A job's own schedule changes through the job only. */
export function refuseJobOwned(row: ScheduleRow, action: string): void {
  if (row.jobId !== null) {
    throw new ApiError('CONFLICT', `Schedule ${row.id} is job ${row.jobId}'s own schedule: ${action} it through the job's schedule field`, { jobId: row.jobId });
  }
}

/** Pause or unpause from /schedules; a job's own schedule follows its job's pause instead. */
export async function setSchedulePaused(deps: AppDeps, scheduleId: number, paused: boolean): Promise<ScheduleView> {
  const before = await findSchedule(deps.db, scheduleId);
  if (before.jobId !== null) {
    throw new ApiError('CONFLICT', `Schedule ${scheduleId} is job ${before.jobId}'s own schedule: ${paused ? 'pause' : 'resume'} the job`, { jobId: before.jobId });
  }
  if (!paused && !before.enabled) throw new ApiError('CONFLICT', `Schedule ${scheduleId} is disabled; enable it with PUT`);
  const row = before.paused === paused ? before : await withScheduleChanges(deps, (tx, changes) => updateScheduleRow(tx, changes, before, { paused }));
  return scheduleView(deps, row);
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The row with what Temporal knows now: next firings, recent actions, counters. */
export async function scheduleView(deps: AppDeps, row: ScheduleRow): Promise<ScheduleView> {
  const [lastRun] = await deps.db
    .select()
    .from(runs)
    .where(and(eq(runs.scheduleId, row.id), isNull(runs.parentRunId)))
    .orderBy(desc(runs.createdAt))
    .limit(1);
  let live: Pick<ScheduleView, 'nextRunTimes' | 'recentActions' | 'actionCounts'> = {
    nextRunTimes: [],
    recentActions: [],
    actionCounts: { taken: 0, skippedOverlap: 0, missedCatchupWindow: 0, running: 0 },
  };
  try {
    const d = await deps.temporal.client.schedule.getHandle(temporalScheduleId(row.id)).describe();
    live = {
      nextRunTimes: d.state.paused ? [] : d.info.nextActionTimes.slice(0, 5).map((t) => t.toISOString()),
      recentActions: d.info.recentActions.map((a) => ({
        scheduledAt: a.scheduledAt.toISOString(),
        takenAt: a.takenAt.toISOString(),
        workflowId: a.action.workflow.workflowId,
        temporalRunId: a.action.workflow.firstExecutionRunId,
      })),
      actionCounts: {
        taken: d.info.numActionsTaken,
        skippedOverlap: d.info.numActionsSkippedOverlap,
        missedCatchupWindow: d.info.numActionsMissedCatchupWindow,
        running: d.info.runningActions.length,
      },
    };
  } catch (err) {
    // Missing in Temporal (the next API start recreates it): show the row without live details.
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    name: row.name,
    jobId: row.jobId,
    cron: row.cron,
    interval: row.interval,
    timezone: row.timezone,
    steps: row.steps,
    overlapPolicy: row.overlapPolicy,
    catchupWindow: row.catchupWindow,
    enabled: row.enabled,
    paused: row.paused,
    temporalScheduleId: temporalScheduleId(row.id),
    ...live,
    lastRun: lastRun ? { id: lastRun.id, state: lastRun.state, trigger: lastRun.trigger, startTime: iso(lastRun.startTime), endTime: iso(lastRun.endTime) } : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
