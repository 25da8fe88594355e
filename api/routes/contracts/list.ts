import { createRoute } from '@hono/zod-openapi';
import { and, asc, eq, gt } from 'drizzle-orm';
import type { Db } from '../../../db/client';
import { contracts } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { findTask } from '../../lookups';
import { decodeIdCursor, IdParam, idPage, ListQuery, listOf } from '../../schemas';
import { ContractSchema, contractView } from './schema';

export const route = createRoute({
  method: 'get',
  path: '/jobs/{jobId}/tasks/{taskId}/contracts',
  tags: ['Tasks'],
  description: 'Synchronisation contracts of the task: each origin object, its target id and the hashes last seen and written.',
  request: { params: IdParam('jobId', 'taskId'), query: ListQuery },
  responses: { 200: { description: 'Contracts by id', content: { 'application/json': { schema: listOf(ContractSchema) } } }, ...errorResponses },
});

/**
 * One page of a task's contracts in id order: a range of the task's key (task_id, id), so a
 * task's first page reads none of the other tasks' contracts.
 */
export function contractPage(db: Db, page: { taskId: number; after?: number; limit: number }) {
  const { taskId, after, limit } = page;
  return db
    .select()
    .from(contracts)
    .where(and(eq(contracts.taskId, taskId), after === undefined ? undefined : gt(contracts.id, after)))
    .orderBy(asc(contracts.id))
    .limit(limit);
}

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { jobId, taskId } = c.req.valid('param');
    const { limit, cursor } = c.req.valid('query');
    await findTask(deps.db, jobId, taskId);
    const rows = await contractPage(deps.db, { taskId, after: decodeIdCursor(cursor), limit: limit + 1 });
    return c.json(idPage(rows, limit, contractView), 200);
  });
}
