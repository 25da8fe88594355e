import { createRoute, z } from '@hono/zod-openapi';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { findJob } from '../../lookups';
import { requireLiveJobRun, toRunWorkflow } from '../../run-control';
import { IdParam } from '../../schemas';

export const route = createRoute({
  method: 'post',
  path: '/jobs/{jobId}/cancel',
  tags: ['Jobs'],
  summary: 'Cancel the running run',
  description: 'Answers at once; the run stops at its next heartbeat or page boundary and ends CANCELLED. 409 when nothing runs.',
  request: { params: IdParam('jobId') },
  responses: {
    202: {
      description: 'Cancellation requested; Location points at the run',
      headers: z.object({ Location: z.string() }),
      content: { 'application/json': { schema: z.object({ runId: z.string().uuid(), message: z.string() }) } },
    },
    ...errorResponses,
  },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { jobId } = c.req.valid('param');
    await findJob(deps.db, jobId);
    const run = await requireLiveJobRun(deps, jobId, 'cancel');
    await toRunWorkflow(deps, run, async (handle) => {
      await handle.cancel();
    });
    c.header('Location', `/api/v1/runs/${run.id}`);
    return c.json({ runId: run.id, message: `Cancelling run ${run.id}` }, 202);
  });
}
