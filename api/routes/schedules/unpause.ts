import { createRoute } from '@hono/zod-openapi';
import type { AppDeps, Router } from '../../app';
import { ApiError, errorResponses } from '../../errors';
import { updateScheduleRow, withScheduleChanges } from '../../schedule-store';
import { IdParam } from '../../schemas';
import { findSchedule, ScheduleSchema, scheduleView } from './schema';

export const route = createRoute({
  method: 'post',
  path: '/schedules/{scheduleId}/unpause',
  tags: ['Schedules'],
  summary: 'Let a paused schedule fire again',
  description: '409 for a disabled schedule (enable it with PUT) and for a job’s own schedule (resume the job).',
  request: { params: IdParam('scheduleId') },
  responses: { 200: { description: 'The unpaused schedule', content: { 'application/json': { schema: ScheduleSchema } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { scheduleId } = c.req.valid('param');
    const before = await findSchedule(deps.db, scheduleId);
    if (before.jobId !== null) throw new ApiError('CONFLICT', `Schedule ${scheduleId} is job ${before.jobId}'s own schedule: resume the job`, { jobId: before.jobId });
    if (!before.enabled) throw new ApiError('CONFLICT', `Schedule ${scheduleId} is disabled; enable it with PUT`);
    const row = before.paused ? await withScheduleChanges(deps, (tx, changes) => updateScheduleRow(tx, changes, before, { paused: false })) : before;
    return c.json(await scheduleView(deps, row), 200);
  });
}
