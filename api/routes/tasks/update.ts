import { createRoute } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import { tasks } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { errorResponses, notFound } from '../../errors';
import { findJob, findTask } from '../../lookups';
import { IdParam } from '../../schemas';
import { TaskBody, taskColumns, TaskSchema, taskView } from './schema';
import { editJobTasks, moveTask, requireMapping, requireTaskIndex } from './task-edits';

export const route = createRoute({
  method: 'put',
  path: '/jobs/{jobId}/tasks/{taskId}',
  tags: ['Tasks'],
  description: 'Replaces the task (same body as create); an `index` moves it. Refused (409) while the job runs.',
  request: { params: IdParam('jobId', 'taskId'), body: { required: true, content: { 'application/json': { schema: TaskBody } } } },
  responses: { 200: { description: 'Updated', content: { 'application/json': { schema: TaskSchema } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { jobId, taskId } = c.req.valid('param');
    const body = c.req.valid('json');
    const job = await findJob(deps.db, jobId);
    await findTask(deps.db, jobId, taskId);
    const fields = taskColumns(body);
    await requireMapping(deps.db, body.mappingId, job.workspaceId);
    const row = await editJobTasks(deps.db, jobId, { refuseWhileRunning: true }, async (tx) => {
      // Read again under the lock: the index may have moved since the lookup above.
      const [current] = await tx.select({ index: tasks.index }).from(tasks).where(and(eq(tasks.id, taskId), eq(tasks.jobId, jobId)));
      if (!current) throw notFound('Task', taskId);
      if (body.index !== undefined && body.index !== current.index) {
        await requireTaskIndex(tx, jobId, body.index, 'index');
        await moveTask(tx, jobId, taskId, current.index, body.index);
      }
      const [updated] = await tx.update(tasks).set({ ...fields, updatedAt: new Date() }).where(eq(tasks.id, taskId)).returning();
      return updated!;
    });
    return c.json(taskView(row), 200);
  });
}
