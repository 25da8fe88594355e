import { createRoute, z } from '@hono/zod-openapi';
import { asc, eq } from 'drizzle-orm';
import { tasks } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { findJob } from '../../lookups';
import { IdParam } from '../../schemas';
import { TaskSchema, taskView } from './schema';

export const route = createRoute({
  method: 'get',
  path: '/jobs/{jobId}/tasks',
  tags: ['Tasks'],
  request: { params: IdParam('jobId') },
  responses: { 200: { description: 'Tasks in index order', content: { 'application/json': { schema: z.object({ items: z.array(TaskSchema) }) } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { jobId } = c.req.valid('param');
    await findJob(deps.db, jobId);
    const rows = await deps.db.select().from(tasks).where(eq(tasks.jobId, jobId)).orderBy(asc(tasks.index), asc(tasks.id));
    return c.json({ items: rows.map(taskView) }, 200);
  });
}
