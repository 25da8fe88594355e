import { createRoute } from '@hono/zod-openapi';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { insertSchedule, withScheduleChanges } from '../../schedule-store';
import { ScheduleBody, ScheduleSchema, scheduleValues, scheduleView } from './schema';

export const route = createRoute({
  method: 'post',
  path: '/schedules',
  tags: ['Schedules'],
  summary: 'Create a schedule (a Temporal Schedule) whose steps are jobs or run profiles',
  description: 'A bad cron, interval, time zone or catch-up window answers 400 naming the field. The schedule exists in both the read model and Temporal, or in neither.',
  request: { body: { required: true, content: { 'application/json': { schema: ScheduleBody } } } },
  responses: { 201: { description: 'Created', content: { 'application/json': { schema: ScheduleSchema } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const values = await scheduleValues(deps.db, c.req.valid('json'));
    const row = await withScheduleChanges(deps, (tx, changes) => insertSchedule(tx, changes, values));
    c.header('Location', `/api/v1/schedules/${row.id}`);
    return c.json(await scheduleView(deps, row), 201);
  });
}
