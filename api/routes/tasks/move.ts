import { createRoute, z } from '@hono/zod-openapi';
import { and, asc, eq } from 'drizzle-orm';
import { tasks } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { errorResponses, invalidField, notFound } from '../../errors';
import { findTask } from '../../lookups';
import { IdParam } from '../../schemas';
import { TaskSchema, taskView } from './schema';
import { editJobTasks, moveTask, requireTaskIndex } from './task-edits';

const MoveBody = z
  .object({
    fromIndex: z.number().int().min(0).openapi({ description: "The task's current index (a guard against moving a stale view)" }),
    toIndex: z.number().int().min(0),
  })
  .strict();

export const route = createRoute({
  method: 'post',
  path: '/jobs/{jobId}/tasks/{taskId}/move',
  tags: ['Tasks'],
  description: 'Moves the task to `toIndex`; the tasks in between shift by one. Refused (409) while the job runs.',
  request: { params: IdParam('jobId', 'taskId'), body: { required: true, content: { 'application/json': { schema: MoveBody } } } },
  responses: {
    200: { description: "The job's tasks in their new order", content: { 'application/json': { schema: z.object({ items: z.array(TaskSchema) }) } } },
    ...errorResponses,
  },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { jobId, taskId } = c.req.valid('param');
    const { fromIndex, toIndex } = c.req.valid('json');
    await findTask(deps.db, jobId, taskId);
    const rows = await editJobTasks(deps.db, jobId, { refuseWhileRunning: true }, async (tx) => {
      const [current] = await tx.select({ index: tasks.index }).from(tasks).where(and(eq(tasks.id, taskId), eq(tasks.jobId, jobId)));
      if (!current) throw notFound('Task', taskId);
      if (current.index !== fromIndex) throw invalidField('fromIndex', `task ${taskId} is at index ${current.index}, not ${fromIndex}`);
      await requireTaskIndex(tx, jobId, toIndex, 'toIndex');
      await moveTask(tx, jobId, taskId, fromIndex, toIndex);
      return tx.select().from(tasks).where(eq(tasks.jobId, jobId)).orderBy(asc(tasks.index), asc(tasks.id));
    });
    return c.json({ items: rows.map(taskView) }, 200);
  });
}
