import { createRoute } from '@hono/zod-openapi';
import { and, eq, gte, sql } from 'drizzle-orm';
import { tasks } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { findJob } from '../../lookups';
import { IdParam } from '../../schemas';
import { TaskBody, taskColumns, TaskSchema, taskView } from './schema';
import { countTasks, editJobTasks, requireMapping } from './task-edits';

export const route = createRoute({
  method: 'post',
  path: '/jobs/{jobId}/tasks',
  tags: ['Tasks'],
  description: 'Adds a task at `index` (default: last); the tasks from that index on move one down.',
  request: { params: IdParam('jobId'), body: { required: true, content: { 'application/json': { schema: TaskBody } } } },
  responses: { 201: { description: 'Created', content: { 'application/json': { schema: TaskSchema } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { jobId } = c.req.valid('param');
    const body = c.req.valid('json');
    const job = await findJob(deps.db, jobId);
    const fields = taskColumns(body);
    await requireMapping(deps.db, body.mappingId, job.workspaceId);
    // Adding a task leaves the tasks a live run planned untouched, so it is allowed while the job runs.
    const row = await editJobTasks(deps.db, jobId, { refuseWhileRunning: false }, async (tx) => {
      const n = await countTasks(tx, jobId);
      const index = Math.min(body.index ?? n, n);
      if (index < n) {
        await tx.update(tasks).set({ index: sql`${tasks.index} + 1` }).where(and(eq(tasks.jobId, jobId), gte(tasks.index, index)));
      }
      const [created] = await tx.insert(tasks).values({ ...fields, jobId, index }).returning();
      return created!;
    });
    return c.json(taskView(row), 201);
  });
}
