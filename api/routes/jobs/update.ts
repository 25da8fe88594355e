import { createRoute } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { jobs } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { ApiError, errorResponses } from '../../errors';
import { findJob } from '../../lookups';
import { findLiveJobRun } from '../../run-control';
import { IdParam } from '../../schemas';
import { checkJobConnections } from './connections';
import { syncJobSchedule, withScheduleChanges } from '../../schedule-store';
import { checkJobSchedule, JobBody, jobColumns, JobSchema, jobView } from './schema';

export const route = createRoute({
  method: 'put',
  path: '/jobs/{jobId}',
  tags: ['Jobs'],
  summary: 'Replace the job',
  description: 'The whole job body, as on create. 409 while the job runs: a run keeps the job it started with.',
  request: { params: IdParam('jobId'), body: { required: true, content: { 'application/json': { schema: JobBody } } } },
  responses: { 200: { description: 'The updated job', content: { 'application/json': { schema: JobSchema } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { jobId } = c.req.valid('param');
    const body = c.req.valid('json');
    const job = await findJob(deps.db, jobId);
    const live = await findLiveJobRun(deps.db, jobId);
    if (live) throw new ApiError('CONFLICT', `Job ${jobId} is running (run ${live.id}); update it when the run has ended`, { runId: live.id });
    await checkJobConnections(deps.db, job.workspaceId, body);
    checkJobSchedule(body);
    const row = await withScheduleChanges(deps, async (tx, changes) => {
      const [updated] = await tx
        .update(jobs)
        // A new configuration: objects synced before it are mapped again by the next run.
        .set({ ...jobColumns(body), updatedAt: new Date(), configuredAt: new Date() })
        .where(eq(jobs.id, jobId))
        .returning();
      await syncJobSchedule(tx, changes, updated!);
      return updated!;
    });
    return c.json(jobView(row), 200);
  });
}
