import { createRoute } from '@hono/zod-openapi';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { findJob } from '../../lookups';
import { listRunViews } from '../../run-views';
import { IdParam, ListQuery, listOf, RunSchema } from '../../schemas';

export const route = createRoute({
  method: 'get',
  path: '/jobs/{jobId}/history',
  tags: ['Jobs'],
  request: { params: IdParam('jobId'), query: ListQuery },
  responses: { 200: { description: 'Runs of the job, newest first', content: { 'application/json': { schema: listOf(RunSchema) } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { jobId } = c.req.valid('param');
    const { limit, cursor } = c.req.valid('query');
    await findJob(deps.db, jobId);
    return c.json(await listRunViews(deps.db, { jobId }, limit, cursor), 200);
  });
}
