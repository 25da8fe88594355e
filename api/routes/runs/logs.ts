import { createRoute, z } from '@hono/zod-openapi';
import { and, asc, eq, gt } from 'drizzle-orm';
import type { Db } from '../../../db/client';
import { runLogs, runs, type RunLogAction } from '../../../db/schema';
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
 * One page of a run's log in id order: a range of the run's key (run_id, id), so a run's first
 * page reads none of the other runs' entries.
 */
export function runLogPage(db: Db, page: { runId: string; action?: RunLogAction; after?: number; limit: number }) {
  const { runId, action, after, limit } = page;
  return db
    .select()
    .from(runLogs)
    .where(and(eq(runLogs.runId, runId), action ? eq(runLogs.action, action) : undefined, after === undefined ? undefined : gt(runLogs.id, after)))
    .orderBy(asc(runLogs.id))
    .limit(limit);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { runId } = c.req.valid('param');
    const { limit, cursor, action } = c.req.valid('query');
    const [run] = UUID.test(runId) ? await deps.db.select({ id: runs.id }).from(runs).where(eq(runs.id, runId)) : [];
    if (!run) throw notFound('Run', runId);
    const rows = await runLogPage(deps.db, { runId, action, after: decodeIdCursor(cursor), limit: limit + 1 });
    const view = (r: typeof runLogs.$inferSelect) => ({
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
