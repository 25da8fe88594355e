import { createRoute } from '@hono/zod-openapi';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { IdParam } from '../../schemas';
import { ScheduleSchema, setSchedulePaused } from './schema';

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
    return c.json(await setSchedulePaused(deps, scheduleId, true), 200);
  });
}
