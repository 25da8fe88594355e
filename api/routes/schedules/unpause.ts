import { createRoute } from '@hono/zod-openapi';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { IdParam } from '../../schemas';
import { ScheduleSchema, setSchedulePaused } from './schema';

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
    return c.json(await setSchedulePaused(deps, scheduleId, false), 200);
  });
}
