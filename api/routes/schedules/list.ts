import { createRoute, z } from '@hono/zod-openapi';
import { and, asc, eq, gt } from 'drizzle-orm';
import { schedules } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { decodeIdCursor, encodeIdCursor, ListQuery, listOf } from '../../schemas';
import { ScheduleSchema, scheduleView } from './schema';

const ScheduleQuery = ListQuery.extend({
  workspaceId: z.coerce.number().int().positive().optional().openapi({ param: { name: 'workspaceId', in: 'query' } }),
  jobId: z.coerce.number().int().positive().optional().openapi({ param: { name: 'jobId', in: 'query' } }),
});

export const route = createRoute({
  method: 'get',
  path: '/schedules',
  tags: ['Schedules'],
  summary: 'Schedules by id, jobs’ own schedules included',
  request: { query: ScheduleQuery },
  responses: { 200: { description: 'Schedules', content: { 'application/json': { schema: listOf(ScheduleSchema) } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { limit, cursor, workspaceId, jobId } = c.req.valid('query');
    const after = decodeIdCursor(cursor);
    const rows = await deps.db
      .select()
      .from(schedules)
      .where(
        and(
          workspaceId === undefined ? undefined : eq(schedules.workspaceId, workspaceId),
          jobId === undefined ? undefined : eq(schedules.jobId, jobId),
          after === undefined ? undefined : gt(schedules.id, after),
        ),
      )
      .orderBy(asc(schedules.id))
      .limit(limit + 1);
    const page = rows.slice(0, limit);
    const items = await Promise.all(page.map((row) => scheduleView(deps, row)));
    return c.json({ items, nextCursor: rows.length > limit ? encodeIdCursor(page.at(-1)!.id) : null }, 200);
  });
}
