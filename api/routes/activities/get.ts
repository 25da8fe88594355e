import { createRoute, z } from '@hono/zod-openapi';
import type { AppDeps, Router } from '../../app';
import { errorResponses, notFound } from '../../errors';
import { findRunView } from '../../run-views';
import { RunSchema } from '../../schemas';

export const route = createRoute({
  method: 'get',
  path: '/activities/{activityId}',
  tags: ['Run profiles'],
  description: 'One run (JIM: activity), with live progress while it runs.',
  request: { params: z.object({ activityId: z.string().openapi({ param: { name: 'activityId', in: 'path' } }) }) },
  responses: { 200: { description: 'The run', content: { 'application/json': { schema: RunSchema } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { activityId } = c.req.valid('param');
    const run = await findRunView(deps.db, activityId);
    if (!run) throw notFound('Activity', activityId);
    return c.json(run, 200);
  });
}
