import { createRoute, z } from '@hono/zod-openapi';
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { Db } from '../../../db/client';
import { runLogBatches, runLogs, runs, type RunLogAction } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { errorResponses, notFound } from '../../errors';
import { decodeIdCursor, idPage, ListQuery, listOf } from '../../schemas';

const RunLogSchema = z
  .object({
    id: z.number().int(),
    taskId: z.number().int(),
    originId: z.string(),
    targetId: z.string().nullable(),
    action: z.enum(['created', 'updated', 'unchanged', 'deleted', 'failed']),
    error: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('RunLog');

export const route = createRoute({
  method: 'get',
  path: '/runs/{runId}/logs',
  tags: ['Runs'],
  description: 'Per-object results of the run (created, updated, deleted, failed with the error). Unchanged objects are counted on the run, not logged.',
  request: {
    params: z.object({ runId: z.string().openapi({ param: { name: 'runId', in: 'path' } }) }),
    query: ListQuery.extend({ action: z.enum(['created', 'updated', 'unchanged', 'deleted', 'failed']).optional() }),
  },
  responses: { 200: { description: 'Log entries by id', content: { 'application/json': { schema: listOf(RunLogSchema) } } }, ...errorResponses },
});

/**
 * One entry of a run's log as listed, whichever way it was written (a row of run_logs, or of a
 * batch); activities/run-logs.ts's RunLogEntry is what a step hands the writer.
 */
export interface ListedRunLogEntry {
  id: number;
  taskId: number;
  originId: string;
  targetId: string | null;
  action: RunLogAction;
  error: string | null;
  createdAt: Date;
}

interface RunLogPageArgs {
  runId: string;
  action?: RunLogAction;
  after?: number;
  limit: number;
}

/** The page's entries written one row each: a range of the run's key. */
export function runLogRows(db: Db, { runId, action, after, limit }: RunLogPageArgs) {
  return db
    .select({
      id: runLogs.id,
      taskId: runLogs.taskId,
      originId: runLogs.originId,
      targetId: runLogs.targetId,
      action: runLogs.action,
      error: runLogs.error,
      createdAt: runLogs.createdAt,
    })
    .from(runLogs)
    .where(and(eq(runLogs.runId, runId), action ? eq(runLogs.action, action) : undefined, after === undefined ? undefined : gt(runLogs.id, after)))
    .orderBy(asc(runLogs.id))
    .limit(limit);
}

/**
 * One page of a run's log in id order: a range of the run's key (run_id, id), so a run's first
 * page reads none of the other runs' entries. A first run's successes are kept in batches
 * (run_log_batches), which the page merges in by id: it opens a batch only while the batch can
 * still hold one of the page's entries, one or two batches a page in practice.
 */
export async function runLogPage(db: Db, page: RunLogPageArgs): Promise<ListedRunLogEntry[]> {
  const { runId, action, after, limit } = page;
  const rows: ListedRunLogEntry[] = await runLogRows(db, page);
  const batches = await db
    .select({ firstId: runLogBatches.firstId })
    .from(runLogBatches)
    .where(
      and(
        eq(runLogBatches.runId, runId),
        action ? eq(runLogBatches.action, action) : undefined,
        after === undefined ? undefined : gt(runLogBatches.lastId, after),
      ),
    )
    .orderBy(asc(runLogBatches.firstId));
  let entries = rows;
  for (const { firstId } of batches) {
    // Every entry of this batch and of those after it is at least firstId.
    if (entries.length >= limit && entries[limit - 1]!.id < firstId) break;
    const opened = await db.execute<{ id: string; task_id: number; origin_id: string; targeted: boolean; action: RunLogAction; created_ms: number }>(sql`
      select e.id, b.task_id, e.origin_id, b.targeted, b.action, (extract(epoch from b.created_at) * 1000)::float8 as created_ms
      from ${runLogBatches} b cross join lateral unnest(b.ids, b.origin_ids) as e(id, origin_id)
      where b.run_id = ${runId} and b.first_id = ${firstId} and e.id > ${after ?? 0}
      order by e.id limit ${limit}`);
    // A batch entry as the view run_log_entries (migration 0015) shows it: target = origin when targeted, no error.
    const more = opened.map((r) => ({
      id: Number(r.id),
      taskId: r.task_id,
      originId: r.origin_id,
      targetId: r.targeted ? r.origin_id : null,
      action: r.action,
      error: null,
      createdAt: new Date(r.created_ms),
    }));
    entries = [...entries, ...more].sort((a, b) => a.id - b.id).slice(0, limit);
  }
  return entries;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { runId } = c.req.valid('param');
    const { limit, cursor, action } = c.req.valid('query');
    const [run] = UUID.test(runId) ? await deps.db.select({ id: runs.id }).from(runs).where(eq(runs.id, runId)) : [];
    if (!run) throw notFound('Run', runId);
    const rows = await runLogPage(deps.db, { runId, action, after: decodeIdCursor(cursor), limit: limit + 1 });
    const view = (r: ListedRunLogEntry) => ({
      id: r.id,
      taskId: r.taskId,
      originId: r.originId,
      targetId: r.targetId,
      action: r.action,
      error: r.error,
      createdAt: r.createdAt.toISOString(),
    });
    return c.json(idPage(rows, limit, view), 200);
  });
}
