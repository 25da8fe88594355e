// Run and entity-run bookkeeping in the read model. Every write sets absolute values keyed by
// run and task, so a retried activity leaves the same rows behind.
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { entityRuns, jobs, runProfiles, LIVE_RUN_STATES, runs, syncSeenPages, syncStaging, tasks } from '../db/schema';
import type { EntityCounters, EntityOutcomeState, RunError, RunOptions, RunPlan, RunState, StageMode, TaskPlan } from '../workflows/contracts';
import { SyncError } from './errors';
import type { RunLogWriter } from './run-logs';


function countColumns(c: EntityCounters) {
  return {
    totalCount: c.total,
    scheduledRecordCount: c.total ?? 0,
    extractedRecordCount: c.extracted,
    indexedRecordCount: c.indexed,
    errorRecordCount: c.errors,
    deletedRecordCount: c.deleted,
    sourceApiRequestCount: c.sourceRequests,
    newRecordCount: c.created,
    changedRecordCount: c.changed,
    unchangedRecordCount: c.unchanged,
    statsUpdateTime: new Date(),
  };
}

const STAGE_OF_RUN_TYPE: Record<string, { mode: StageMode; delta: boolean }> = {
  FullImport: { mode: 'import', delta: false },
  DeltaImport: { mode: 'import', delta: true },
  FullSynchronisation: { mode: 'sync', delta: false },
  DeltaSynchronisation: { mode: 'sync', delta: true },
  Export: { mode: 'export', delta: false },
};

/**
 * The tasks a run works on. A job run: the job's active tasks (or the listed ones) in index order.
 * A run profile: the tasks of every job that reads from (import, synchronisation) or writes to
 * (export) its connected system — tasks are the synchronisation rules both share.
 */
export async function planRun(db: Db, runId: string, taskIds?: number[]): Promise<RunPlan> {
  const [run] = await db.select().from(runs).where(eq(runs.id, runId));
  if (!run) throw new SyncError('RUN_NOT_FOUND', `Run ${runId} does not exist`, false);
  if (run.jobId !== null) {
    const [job] = await db.select().from(jobs).where(eq(jobs.id, run.jobId));
    if (!job) throw new SyncError('JOB_NOT_FOUND', `Job ${run.jobId} no longer exists`, false);
    const where = taskIds?.length
      ? and(eq(tasks.jobId, job.id), inArray(tasks.id, taskIds))
      : and(eq(tasks.jobId, job.id), eq(tasks.isActive, true));
    const planned = await db.select().from(tasks).where(where).orderBy(asc(tasks.index), asc(tasks.id));
    return {
      mode: 'job',
      delta: false,
      dryRun: run.dryRun,
      units: planned.map((t) => ({ taskId: t.id, entityName: t.targetEntity, pageSize: job.batchSize })),
      ...runOptionsOf(job.options),
    };
  }
  const [profile] = run.runProfileId === null ? [] : await db.select().from(runProfiles).where(eq(runProfiles.id, run.runProfileId));
  if (!profile) throw new SyncError('RUN_PROFILE_NOT_FOUND', `Run ${runId} has no run profile`, false);
  const stage = STAGE_OF_RUN_TYPE[profile.runType];
  if (!stage) throw new SyncError('RUN_TYPE_UNKNOWN', `Unknown run type ${profile.runType}`, false);
  const units = await profileUnits(db, profile);
  return { ...stage, dryRun: false, units };
}

/** Tasks at once when the job asks for parallel processing without naming a worker pool. */
export const DEFAULT_WORKER_POOL = 4;

/** The job options the run workflow acts on; omitted entirely when the job sets none of them. */
function runOptionsOf(options: Record<string, unknown>): { options?: RunOptions } {
  const run: RunOptions = {};
  if (options.continueOnError === true) run.continueOnError = true;
  if (options.enableParallelProcessing === true) {
    const pool = options.workerPool;
    run.parallelism = typeof pool === 'number' && Number.isInteger(pool) && pool >= 1 ? pool : DEFAULT_WORKER_POOL;
  }
  if (options.truncateTableData === true || options.dropTable === true) run.resetTarget = true;
  const labels = Array.isArray(options.labels) ? options.labels.filter((l): l is string => typeof l === 'string') : [];
  if (labels.length > 0) run.labels = labels;
  return Object.keys(run).length > 0 ? { options: run } : {};
}

export async function profileUnits(db: Db, profile: typeof runProfiles.$inferSelect): Promise<TaskPlan[]> {
  const side = profile.runType === 'Export' ? jobs.destinationConnectionId : jobs.sourceConnectionId;
  const rows = await db
    .select({ task: tasks })
    .from(tasks)
    .innerJoin(jobs, eq(jobs.id, tasks.jobId))
    .where(and(eq(side, profile.connectedSystemId), eq(tasks.isActive, true)))
    .orderBy(asc(tasks.jobId), asc(tasks.index), asc(tasks.id));
  let candidates = rows.map((r) => r.task);
  if (profile.partitionName) candidates = candidates.filter((t) => t.sourceEntity === profile.partitionName);
  // An import reads each source entity once, whichever tasks share it.
  if (profile.runType === 'FullImport' || profile.runType === 'DeltaImport') {
    const seen = new Set<string>();
    candidates = candidates.filter((t) => {
      const entity = profile.filePath ?? t.sourceEntity;
      if (seen.has(entity)) return false;
      seen.add(entity);
      return true;
    });
  }
  return candidates.map((t) => ({ taskId: t.id, entityName: profile.runType === 'Export' ? t.targetEntity : (profile.filePath ?? t.sourceEntity), pageSize: profile.pageSize }));
}

export function createRunStateActivities(db: Db, logs: RunLogWriter, onRunEnded: (runId: string) => void) {
  return {
    /** Marks the run RUNNING and plans its tasks. */
    async beginRun(args: { runId: string; taskIds?: number[] }): Promise<RunPlan> {
      const plan = await planRun(db, args.runId, args.taskIds);
      await db.transaction(async (tx) => {
        const updated = await tx
          .update(runs)
          .set({ state: sql`case when ${runs.state} = 'OVERRUN' then 'OVERRUN' else 'RUNNING' end`, startTime: sql`coalesce(${runs.startTime}, now())`, stateUpdateTime: new Date() })
          .where(and(eq(runs.id, args.runId), inArray(runs.state, [...LIVE_RUN_STATES])))
          .returning({ id: runs.id });
        if (updated.length === 0) throw new SyncError('RUN_NOT_FOUND', `Run ${args.runId} is not pending`, false);
        if (plan.units.length > 0) {
          await tx
            .insert(entityRuns)
            .values(
              plan.units.map((p) => ({
                runId: args.runId,
                taskId: p.taskId,
                entityName: p.entityName,
                state: 'PENDING' as const,
                syncType: plan.delta ? ('INCREMENTAL' as const) : ('FULL' as const),
              })),
            )
            .onConflictDoNothing();
        }
      });
      return plan;
    },

    async markEntityRunning(args: { runId: string; taskId: number }): Promise<void> {
      await db
        .update(entityRuns)
        .set({ state: 'RUNNING', stateUpdateTime: new Date() })
        .where(and(eq(entityRuns.runId, args.runId), eq(entityRuns.taskId, args.taskId), eq(entityRuns.state, 'PENDING')));
    },

    async recordEntityProgress(args: { runId: string; taskId: number; counters: EntityCounters }): Promise<void> {
      await db
        .update(entityRuns)
        .set(countColumns(args.counters))
        .where(and(eq(entityRuns.runId, args.runId), eq(entityRuns.taskId, args.taskId)));
    },

    async finishEntityRun(args: { runId: string; taskId: number; state: EntityOutcomeState; counters: EntityCounters; errors: RunError[] }): Promise<void> {
      await db
        .update(entityRuns)
        .set({ ...countColumns(args.counters), state: args.state, errors: args.errors, stateUpdateTime: new Date() })
        .where(and(eq(entityRuns.runId, args.runId), eq(entityRuns.taskId, args.taskId)));
    },

    /** Records the run's terminal state, marks tasks that never started SKIPPED, drops the run's staging rows. */
    async finishRun(args: { runId: string; state: RunState; errors: RunError[] }): Promise<void> {
      await db.transaction(async (tx) => {
        await tx
          .update(runs)
          .set({ state: args.state, errors: args.errors, endTime: new Date(), stateUpdateTime: new Date(), paused: false })
          .where(and(eq(runs.id, args.runId), inArray(runs.state, [...LIVE_RUN_STATES])));
        await tx
          .update(entityRuns)
          .set({ state: 'SKIPPED', stateUpdateTime: new Date() })
          .where(and(eq(entityRuns.runId, args.runId), eq(entityRuns.state, 'PENDING')));
        await tx.delete(syncStaging).where(eq(syncStaging.runId, args.runId));
        await tx.delete(syncSeenPages).where(eq(syncSeenPages.runId, args.runId));
      });
      await logs.prune();
      onRunEnded(args.runId);
    },
  };
}
