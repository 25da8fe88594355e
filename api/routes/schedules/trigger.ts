import { createRoute, z } from '@hono/zod-openapi';
import type { AppDeps, Router } from '../../app';
import { ApiError, errorResponses } from '../../errors';
import { OVERLAP } from '../../schedule-spec';
import { onTemporalSchedule } from '../../schedule-store';
import { IdParam } from '../../schemas';
import { findSchedule } from './schema';

export const TriggerResponse = z.object({ scheduleId: z.number().int(), message: z.string() });

export const route = createRoute({
  method: 'post',
  path: '/schedules/{scheduleId}/trigger',
  tags: ['Schedules'],
  summary: 'Run the schedule now',
  description:
    'One firing now, under the schedule’s overlap policy (with SKIP, nothing starts while its previous run still runs). Works while paused; 409 while disabled.',
  request: { params: IdParam('scheduleId') },
  responses: { 202: { description: 'Triggered', content: { 'application/json': { schema: TriggerResponse } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { scheduleId } = c.req.valid('param');
    const row = await findSchedule(deps.db, scheduleId);
    if (!row.enabled) throw new ApiError('CONFLICT', `Schedule ${scheduleId} is disabled; enable it to run it`);
    // The SDK's trigger() would default to ALLOW_ALL: always pass the schedule's own policy.
    await onTemporalSchedule(deps, row, (handle) => handle.trigger(OVERLAP[row.overlapPolicy]));
    c.header('Location', `/api/v1/runs?scheduleId=${row.id}`);
    return c.json({ scheduleId, message: `Schedule ${scheduleId} triggered; its run appears under /runs?scheduleId=${scheduleId}` }, 202);
  });
}
