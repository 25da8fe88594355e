// What every change to a job's task list shares: one transaction per edit, serialised per job
// so indexes stay dense from 0, and refused (409) while the job has a live run — a run plans its
// tasks once and caches their configuration, so editing them under it would mix two versions.
import { and, count, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../../db/client';
import { mappings, LIVE_RUN_STATES, runs, tasks } from '../../../db/schema';
import { ApiError, invalidField } from '../../errors';

export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** First key of the two-key advisory lock: keeps task-edit locks apart from any other use. */
const TASK_EDIT_LOCK_CLASS = 0x7461736b; // "task"

export async function editJobTasks<T>(db: Db, jobId: number, options: { refuseWhileRunning: boolean }, edit: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${TASK_EDIT_LOCK_CLASS}, ${jobId})`);
    if (options.refuseWhileRunning) {
      const [live] = await tx
        .select({ id: runs.id })
        .from(runs)
        .where(and(eq(runs.jobId, jobId), inArray(runs.state, [...LIVE_RUN_STATES])))
        .limit(1);
      if (live) throw new ApiError('CONFLICT', `Job ${jobId} is running: run ${live.id}`, { runId: live.id });
    }
    return edit(tx);
  });
}

export async function countTasks(tx: Tx, jobId: number): Promise<number> {
  const [row] = await tx.select({ n: count() }).from(tasks).where(eq(tasks.jobId, jobId));
  return row?.n ?? 0;
}

/**
 * Moves a task from one index to another in one statement: the tasks in between shift by one
 * towards the gap it leaves, so indexes stay dense. `to` must be checked against the task count.
 */
export async function moveTask(tx: Tx, jobId: number, taskId: number, from: number, to: number): Promise<void> {
  if (from === to) return;
  const shift = from < to ? -1 : 1;
  await tx
    .update(tasks)
    .set({
      index: sql`case when ${tasks.id} = ${taskId} then ${to}::int else ${tasks.index} + ${shift}::int end`,
      updatedAt: new Date(),
    })
    .where(and(eq(tasks.jobId, jobId), sql`${tasks.index} between ${Math.min(from, to)} and ${Math.max(from, to)}`));
}

/** 422 naming `field` unless `index` is a position of an existing task (0 .. n-1). */
export async function requireTaskIndex(tx: Tx, jobId: number, index: number, field: string): Promise<void> {
  const n = await countTasks(tx, jobId);
  if (index > n - 1) throw invalidField(field, `must be between 0 and ${n - 1} (the job has ${n} task${n === 1 ? '' : 's'})`);
}

/** 422 unless the mapping belongs to the job's workspace. */
export async function requireMapping(db: Db, mappingId: number | undefined, workspaceId: number): Promise<void> {
  if (mappingId === undefined) return;
  const [mapping] = await db
    .select({ id: mappings.id })
    .from(mappings)
    .where(and(eq(mappings.id, mappingId), eq(mappings.workspaceId, workspaceId)));
  if (!mapping) throw invalidField('mappingId', `mapping ${mappingId} does not exist in workspace ${workspaceId}`);
}
