import { createRoute } from '@hono/zod-openapi';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { updateScheduleRow, withScheduleChanges } from '../../schedule-store';
import { IdParam } from '../../schemas';
import { findSchedule, refuseJobOwned, ScheduleBody, ScheduleSchema, scheduleValues, scheduleView } from './schema';

export const route = createRoute({
  method: 'put',
  path: '/schedules/{scheduleId}',
  tags: ['Schedules'],
  summary: 'Replace the schedule (timing, steps, policies)',
  description: 'The whole body, as on create; steps not in the list are gone. A run in progress keeps the steps it began with. 409 for a job’s own schedule.',
  request: { params: IdParam('scheduleId'), body: { required: true, content: { 'application/json': { schema: ScheduleBody } } } },
  responses: { 200: { description: 'The updated schedule', content: { 'application/json': { schema: ScheduleSchema } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { scheduleId } = c.req.valid('param');
    const before = await findSchedule(deps.db, scheduleId);
    refuseJobOwned(before, 'change');
    const values = await scheduleValues(deps.db, c.req.valid('json'));
    const row = await withScheduleChanges(deps, (tx, changes) => updateScheduleRow(tx, changes, before, values));
    return c.json(await scheduleView(deps, row), 200);
  });
}
