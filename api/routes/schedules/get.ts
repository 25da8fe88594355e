import { createRoute } from '@hono/zod-openapi';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { IdParam } from '../../schemas';
import { findSchedule, ScheduleSchema, scheduleView } from './schema';

export const route = createRoute({
  method: 'get',
  path: '/schedules/{scheduleId}',
  tags: ['Schedules'],
  summary: 'A schedule with its next 5 firings, last run, recent actions and paused state',
  request: { params: IdParam('scheduleId') },
  responses: { 200: { description: 'The schedule', content: { 'application/json': { schema: ScheduleSchema } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { scheduleId } = c.req.valid('param');
    return c.json(await scheduleView(deps, await findSchedule(deps.db, scheduleId)), 200);
  });
}
