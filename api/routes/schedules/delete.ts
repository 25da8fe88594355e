import { createRoute } from '@hono/zod-openapi';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { deleteScheduleRow, withScheduleChanges } from '../../schedule-store';
import { IdParam } from '../../schemas';
import { findSchedule, refuseJobOwned } from './schema';

export const route = createRoute({
  method: 'delete',
  path: '/schedules/{scheduleId}',
  tags: ['Schedules'],
  summary: 'Delete the schedule and its Temporal Schedule',
  description: 'Runs already started go on; their history stays. 409 for a job’s own schedule (clear the job’s schedule instead).',
  request: { params: IdParam('scheduleId') },
  responses: { 204: { description: 'Deleted' }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { scheduleId } = c.req.valid('param');
    const row = await findSchedule(deps.db, scheduleId);
    refuseJobOwned(row, 'delete');
    await withScheduleChanges(deps, (tx, changes) => deleteScheduleRow(tx, changes, row));
    return c.body(null, 204);
  });
}
