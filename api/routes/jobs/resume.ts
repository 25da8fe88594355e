import { createRoute } from '@hono/zod-openapi';
import { and, eq, inArray } from 'drizzle-orm';
import { jobs, LIVE_RUN_STATES, runs } from '../../../db/schema';
import { resumeSignal } from '../../../workflows/contracts';
import type { AppDeps, Router } from '../../app';
import { ApiError, errorResponses } from '../../errors';
import { findJob } from '../../lookups';
import { findLiveJobRun, toRunWorkflow } from '../../run-control';
import { reconcileRun } from '../../run-reconciler';
import { startRun } from '../../run-starter';
import { syncJobSchedule, withScheduleChanges } from '../../schedule-store';
import { IdParam } from '../../schemas';
import { PauseResponse } from './pause';

export const route = createRoute({
  method: 'post',
  path: '/jobs/{jobId}/resume',
  tags: ['Jobs'],
  summary: 'Resume the job',
  description:
    'A paused run continues from its checkpoint (the same run). A paused job with no run in flight starts a new run with trigger RESUME. 409 when the job is not paused.',
  request: { params: IdParam('jobId') },
  responses: { 202: { description: 'Resumed', content: { 'application/json': { schema: PauseResponse } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { jobId } = c.req.valid('param');
    const job = await findJob(deps.db, jobId);
    const live = await findLiveJobRun(deps.db, jobId);
    const run = live && !(await reconcileRun(deps, live)) ? live : undefined;
    if (!job.paused && !run?.paused) throw new ApiError('CONFLICT', `Job ${jobId} is not paused`);

    await withScheduleChanges(deps, async (tx, changes) => {
      const [resumed] = await tx.update(jobs).set({ paused: false, updatedAt: new Date() }).where(eq(jobs.id, jobId)).returning();
      await syncJobSchedule(tx, changes, resumed!);
    });
    if (run) {
      await toRunWorkflow(deps, run, (handle) => handle.signal(resumeSignal));
      await deps.db
        .update(runs)
        .set({ paused: false, stateUpdateTime: new Date() })
        .where(and(eq(runs.id, run.id), inArray(runs.state, [...LIVE_RUN_STATES])));
      c.header('Location', `/api/v1/runs/${run.id}`);
      return c.json({ jobId, paused: false, runId: run.id, message: `Run ${run.id} resumes from its checkpoint` }, 202);
    }
    const started = await startRun(deps, { kind: 'job', workspaceId: job.workspaceId, jobId }, { trigger: 'RESUME' });
    c.header('Location', `/api/v1/runs/${started.runId}`);
    return c.json({ jobId, paused: false, runId: started.runId, message: `Job ${jobId} resumed with run ${started.runId}` }, 202);
  });
}
