import { createRoute } from '@hono/zod-openapi';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { findTask } from '../../lookups';
import { IdParam } from '../../schemas';
import { TaskSchema, taskView } from './schema';

export const route = createRoute({
  method: 'get',
  path: '/jobs/{jobId}/tasks/{taskId}',
  tags: ['Tasks'],
  request: { params: IdParam('jobId', 'taskId') },
  responses: { 200: { description: 'The task', content: { 'application/json': { schema: TaskSchema } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { jobId, taskId } = c.req.valid('param');
    return c.json(taskView(await findTask(deps.db, jobId, taskId)), 200);
  });
}
