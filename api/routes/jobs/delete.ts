import { createRoute } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { jobs } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { ApiError, errorResponses } from '../../errors';
import { findJob } from '../../lookups';
import { findLiveJobRun } from '../../run-control';
import { syncJobSchedule, withScheduleChanges } from '../../schedule-store';
import { IdParam } from '../../schemas';

export const route = createRoute({
  method: 'delete',
  path: '/jobs/{jobId}',
  tags: ['Jobs'],
  summary: 'Delete the job with its tasks, contracts, run history and Temporal Schedule',
  description: '409 while the job runs: cancel the run first.',
  request: { params: IdParam('jobId') },
  responses: { 204: { description: 'Deleted' }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { jobId } = c.req.valid('param');
    const job = await findJob(deps.db, jobId);
    const live = await findLiveJobRun(deps.db, jobId);
    if (live) throw new ApiError('CONFLICT', `Job ${jobId} is running (run ${live.id}); cancel the run before deleting the job`, { runId: live.id });
    // Its Temporal Schedule goes with it, in the same transaction.
    await withScheduleChanges(deps, async (tx, changes) => {
      await syncJobSchedule(tx, changes, job, { deleting: true });
      await tx.delete(jobs).where(eq(jobs.id, jobId));
    });
    return c.body(null, 204);
  });
}
