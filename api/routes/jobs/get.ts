import { createRoute } from '@hono/zod-openapi';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { findJob } from '../../lookups';
import { IdParam } from '../../schemas';
import { JobSchema, jobView } from './schema';

export const route = createRoute({
  method: 'get',
  path: '/jobs/{jobId}',
  tags: ['Jobs'],
  request: { params: IdParam('jobId') },
  responses: { 200: { description: 'The job', content: { 'application/json': { schema: JobSchema } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => c.json(jobView(await findJob(deps.db, c.req.valid('param').jobId)), 200));
}
