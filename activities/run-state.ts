// Run and entity-run bookkeeping in the read model. Every write sets absolute values keyed by
// run and task, so a retried activity leaves the same rows behind.
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { entityRuns, jobs, runs, syncStaging, tasks } from '../db/schema';
import type { EntityCounters, EntityOutcomeState, RunError, RunState, TaskPlan } from '../workflows/contracts';
import { SyncError } from './errors';

const LIVE_STATES: RunState[] = ['PENDING', 'RUNNING', 'OVERRUN'];

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

export function createRunStateActivities(db: Db, onRunEnded: (runId: string) => void) {
  return {
    /** Marks the run RUNNING and plans its tasks (active ones in index order, or the listed subset). */
    async beginRun(args: { runId: string; jobId: number; taskIds?: number[] }): Promise<{ plan: TaskPlan[] }> {
      const [job] = await db.select().from(jobs).where(eq(jobs.id, args.jobId));
      if (!job) throw new SyncError('JOB_NOT_FOUND', `Job ${args.jobId} no longer exists`, false);
      const where = args.taskIds?.length
        ? and(eq(tasks.jobId, job.id), inArray(tasks.id, args.taskIds))
        : and(eq(tasks.jobId, job.id), eq(tasks.isActive, true));
      const planned = await db.select().from(tasks).where(where).orderBy(asc(tasks.index), asc(tasks.id));
      const plan = planned.map((t) => ({ taskId: t.id, entityName: t.targetEntity, pageSize: job.batchSize }));

      await db.transaction(async (tx) => {
        const updated = await tx
          .update(runs)
          .set({ state: 'RUNNING', startTime: sql`coalesce(${runs.startTime}, now())`, stateUpdateTime: new Date() })
          .where(and(eq(runs.id, args.runId), inArray(runs.state, ['PENDING', 'RUNNING'])))
          .returning({ id: runs.id });
        if (updated.length === 0) throw new SyncError('RUN_NOT_FOUND', `Run ${args.runId} is not pending`, false);
        if (plan.length > 0) {
          await tx
            .insert(entityRuns)
            .values(plan.map((p) => ({ runId: args.runId, taskId: p.taskId, entityName: p.entityName, state: 'PENDING' as const })))
            .onConflictDoNothing();
        }
      });
      return { plan };
    },

    async beginEntityRun(args: { runId: string; taskId: number }): Promise<void> {
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
          .where(and(eq(runs.id, args.runId), inArray(runs.state, LIVE_STATES)));
        await tx
          .update(entityRuns)
          .set({ state: 'SKIPPED', stateUpdateTime: new Date() })
          .where(and(eq(entityRuns.runId, args.runId), eq(entityRuns.state, 'PENDING')));
        await tx.delete(syncStaging).where(eq(syncStaging.runId, args.runId));
      });
      onRunEnded(args.runId);
    },
  };
}
