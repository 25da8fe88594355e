import { createRoute, z } from '@hono/zod-openapi';
import { OVERLAP_POLICIES } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { ApiError, errorResponses, malformedField } from '../../errors';
import { OVERLAP } from '../../schedule-spec';
import { onTemporalSchedule } from '../../schedule-store';
import { IdParam } from '../../schemas';
import { findSchedule } from './schema';

const BackfillBody = z
  .object({
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
    overlapPolicy: z.enum(OVERLAP_POLICIES).default('BUFFER_ALL').openapi({ description: 'BUFFER_ALL (default) runs the window’s firings one after another' }),
  })
  .strict();

export const route = createRoute({
  method: 'post',
  path: '/schedules/{scheduleId}/backfill',
  tags: ['Schedules'],
  summary: 'Start now the runs a past window holds',
  description: 'Every firing of the schedule’s spec between from and to is taken now, one after another by default. 409 while disabled.',
  request: { params: IdParam('scheduleId'), body: { required: true, content: { 'application/json': { schema: BackfillBody } } } },
  responses: { 202: { description: 'Backfill started', content: { 'application/json': { schema: z.object({ scheduleId: z.number().int(), message: z.string() }) } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { scheduleId } = c.req.valid('param');
    const body = c.req.valid('json');
    const start = new Date(body.from);
    const end = new Date(body.to);
    if (end <= start) throw malformedField('to', 'must be after from');
    const row = await findSchedule(deps.db, scheduleId);
    if (!row.enabled) throw new ApiError('CONFLICT', `Schedule ${scheduleId} is disabled; enable it to backfill`);
    await onTemporalSchedule(deps, row, (handle) => handle.backfill({ start, end, overlap: OVERLAP[body.overlapPolicy] }));
    return c.json({ scheduleId, message: `Backfilling schedule ${scheduleId} from ${start.toISOString()} to ${end.toISOString()}` }, 202);
  });
}
