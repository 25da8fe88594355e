import { createRoute, z } from '@hono/zod-openapi';
import type { AppDeps, Router } from '../../app';
import { errorResponses, notFound } from '../../errors';
import { findRunView } from '../../run-views';
import { RunSchema } from '../../schemas';

export const route = createRoute({
  method: 'get',
  path: '/runs/{runId}',
  tags: ['Runs'],
  request: { params: z.object({ runId: z.string().openapi({ param: { name: 'runId', in: 'path' } }) }) },
  responses: { 200: { description: 'The run with its entity runs', content: { 'application/json': { schema: RunSchema } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { runId } = c.req.valid('param');
    const run = await findRunView(deps.db, runId);
    if (!run) throw notFound('Run', runId);
    return c.json(run, 200);
  });
}
