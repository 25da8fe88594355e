import { createRoute, z } from '@hono/zod-openapi';
import { isLiveRunState } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { findJob } from '../../lookups';
import { currentRunView } from '../../run-views';
import { IdParam, RunSchema } from '../../schemas';

const JobStatusSchema = z
  .object({ jobId: z.number().int(), running: z.boolean(), run: RunSchema.nullable().openapi({ description: 'The live run, else the latest; null if the job never ran' }) })
  .openapi('JobStatus');

export const route = createRoute({
  method: 'get',
  path: '/jobs/{jobId}/status',
  tags: ['Jobs'],
  request: { params: IdParam('jobId') },
  responses: { 200: { description: 'The running or last run', content: { 'application/json': { schema: JobStatusSchema } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { jobId } = c.req.valid('param');
    await findJob(deps.db, jobId);
    const run = (await currentRunView(deps.db, jobId)) ?? null;
    const running = run !== null && isLiveRunState(run.state);
    return c.json({ jobId, running, run }, 200);
  });
}
