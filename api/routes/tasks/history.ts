import { createRoute } from '@hono/zod-openapi';
import { and, desc, eq, lt, or } from 'drizzle-orm';
import { entityRuns, runs } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { findTask } from '../../lookups';
import { decodeRunCursor, encodeRunCursor, entityRunView } from '../../run-views';
import { IdParam, ListQuery, listOf } from '../../schemas';
import { TaskRunSchema } from './schema';

export const route = createRoute({
  method: 'get',
  path: '/jobs/{jobId}/tasks/{taskId}/history',
  tags: ['Tasks'],
  request: { params: IdParam('jobId', 'taskId'), query: ListQuery },
  responses: { 200: { description: "The task's entity runs, newest first", content: { 'application/json': { schema: listOf(TaskRunSchema) } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { jobId, taskId } = c.req.valid('param');
    const { limit, cursor } = c.req.valid('query');
    await findTask(deps.db, jobId, taskId);
    // Keyset on the run's (createdAt, id), the same cursor as the job's history.
    const after = decodeRunCursor(cursor);
    const rows = await deps.db
      .select({ entityRun: entityRuns, run: { id: runs.id, createdAt: runs.createdAt } })
      .from(entityRuns)
      .innerJoin(runs, eq(runs.id, entityRuns.runId))
      .where(
        and(
          eq(entityRuns.taskId, taskId),
          after ? or(lt(runs.createdAt, after.createdAt), and(eq(runs.createdAt, after.createdAt), lt(runs.id, after.id))) : undefined,
        ),
      )
      .orderBy(desc(runs.createdAt), desc(runs.id))
      .limit(limit + 1);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return c.json(
      {
        items: page.map(({ entityRun }) => ({ ...entityRunView(entityRun), runId: entityRun.runId })),
        nextCursor: rows.length > limit && last ? encodeRunCursor(last.run) : null,
      },
      200,
    );
  });
}
