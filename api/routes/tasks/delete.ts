import { createRoute } from '@hono/zod-openapi';
import { and, eq, gt, sql } from 'drizzle-orm';
import { tasks } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { errorResponses, notFound } from '../../errors';
import { findTask } from '../../lookups';
import { IdParam } from '../../schemas';
import { editJobTasks } from './task-edits';

export const route = createRoute({
  method: 'delete',
  path: '/jobs/{jobId}/tasks/{taskId}',
  tags: ['Tasks'],
  description: 'Deletes the task with its contracts; later tasks move up one index. Refused (409) while the job runs.',
  request: { params: IdParam('jobId', 'taskId') },
  responses: { 204: { description: 'Deleted' }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { jobId, taskId } = c.req.valid('param');
    await findTask(deps.db, jobId, taskId);
    await editJobTasks(deps.db, jobId, { refuseWhileRunning: true }, async (tx) => {
      const [gone] = await tx.delete(tasks).where(and(eq(tasks.id, taskId), eq(tasks.jobId, jobId))).returning({ index: tasks.index });
      if (!gone) throw notFound('Task', taskId);
      // Close the gap in one statement so indexes stay dense from 0.
      await tx
        .update(tasks)
        .set({ index: sql`${tasks.index} - 1` })
        .where(and(eq(tasks.jobId, jobId), gt(tasks.index, gone.index)));
    });
    return c.body(null, 204);
  });
}
