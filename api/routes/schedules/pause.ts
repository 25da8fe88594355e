import { createRoute } from '@hono/zod-openapi';
import type { AppDeps, Router } from '../../app';
import { ApiError, errorResponses } from '../../errors';
import { updateScheduleRow, withScheduleChanges } from '../../schedule-store';
import { IdParam } from '../../schemas';
import { findSchedule, ScheduleSchema, scheduleView } from './schema';

export const route = createRoute({
  method: 'post',
  path: '/schedules/{scheduleId}/pause',
  tags: ['Schedules'],
  summary: 'Stop the schedule firing until unpaused',
  description: 'A run in progress goes on. For a job’s own schedule pause the job (POST /jobs/{id}/pause): 409.',
  request: { params: IdParam('scheduleId') },
  responses: { 200: { description: 'The paused schedule', content: { 'application/json': { schema: ScheduleSchema } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { scheduleId } = c.req.valid('param');
    const before = await findSchedule(deps.db, scheduleId);
    if (before.jobId !== null) throw new ApiError('CONFLICT', `Schedule ${scheduleId} is job ${before.jobId}'s own schedule: pause the job`, { jobId: before.jobId });
    const row = before.paused ? before : await withScheduleChanges(deps, (tx, changes) => updateScheduleRow(tx, changes, before, { paused: true }));
    return c.json(await scheduleView(deps, row), 200);
  });
}
