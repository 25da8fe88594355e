import { createRoute, z } from '@hono/zod-openapi';
import type { AppDeps, Router } from '../../app';
import { errorResponses, notFound } from '../../errors';
import { findJob } from '../../lookups';
import { findRunView } from '../../run-views';
import { IdParam, RunSchema } from '../../schemas';

export const route = createRoute({
  method: 'get',
  path: '/jobs/{jobId}/history/{runId}',
  tags: ['Jobs'],
  request: { params: IdParam('jobId').extend({ runId: z.string().openapi({ param: { name: 'runId', in: 'path' } }) }) },
  responses: { 200: { description: 'One run of the job', content: { 'application/json': { schema: RunSchema } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { jobId, runId } = c.req.valid('param');
    await findJob(deps.db, jobId);
    const run = await findRunView(deps.db, runId);
    if (!run || run.jobId !== jobId) throw notFound('Run', runId);
    return c.json(run, 200);
  });
}
