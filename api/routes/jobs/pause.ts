import { createRoute, z } from '@hono/zod-openapi';
import { and, eq, inArray } from 'drizzle-orm';
import { jobs, LIVE_RUN_STATES, runs } from '../../../db/schema';
import { pauseSignal } from '../../../workflows/contracts';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { findJob } from '../../lookups';
import { findLiveJobRun, toRunWorkflow } from '../../run-control';
import { reconcileRun } from '../../run-reconciler';
import { syncJobSchedule, withScheduleChanges } from '../../schedule-store';
import { IdParam } from '../../schemas';

export const PauseResponse = z.object({ jobId: z.number().int(), paused: z.boolean(), runId: z.string().uuid().nullable(), message: z.string() });

export const route = createRoute({
  method: 'post',
  path: '/jobs/{jobId}/pause',
  tags: ['Jobs'],
  summary: 'Pause the job and its running run',
  description:
    'The running run finishes the page in flight and waits at the page boundary, still RUNNING with paused=true and latestPauseTime set. The job stays paused, and its Temporal Schedule with it, until resume.',
  request: { params: IdParam('jobId') },
  responses: { 202: { description: 'Pause requested', content: { 'application/json': { schema: PauseResponse } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { jobId } = c.req.valid('param');
    await findJob(deps.db, jobId);
    // The job's Temporal Schedule (if any) is paused with it.
    await withScheduleChanges(deps, async (tx, changes) => {
      const [job] = await tx.update(jobs).set({ paused: true, updatedAt: new Date() }).where(eq(jobs.id, jobId)).returning();
      await syncJobSchedule(tx, changes, job!);
    });
    const run = await findLiveJobRun(deps.db, jobId);
    if (!run || (await reconcileRun(deps, run))) {
      return c.json({ jobId, paused: true, runId: null, message: `Job ${jobId} paused; no run was in flight` }, 202);
    }
    await toRunWorkflow(deps, run, (handle) => handle.signal(pauseSignal));
    const now = new Date();
    await deps.db
      .update(runs)
      .set({ paused: true, latestPauseTime: now, stateUpdateTime: now })
      .where(and(eq(runs.id, run.id), inArray(runs.state, [...LIVE_RUN_STATES])));
    c.header('Location', `/api/v1/runs/${run.id}`);
    return c.json({ jobId, paused: true, runId: run.id, message: `Run ${run.id} pauses after the page in flight` }, 202);
  });
}
