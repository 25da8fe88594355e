import { createRoute, z } from '@hono/zod-openapi';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { listRunViews } from '../../run-views';
import { ListQuery, listOf, RunSchema } from '../../schemas';

const positiveId = z.coerce.number().int().positive().optional();

const RunQuery = ListQuery.extend({
  workspaceId: positiveId.openapi({ param: { name: 'workspaceId', in: 'query' } }),
  jobId: positiveId.openapi({ param: { name: 'jobId', in: 'query' } }),
  runProfileId: positiveId.openapi({ param: { name: 'runProfileId', in: 'query' } }),
  scheduleId: positiveId.openapi({ param: { name: 'scheduleId', in: 'query' } }),
  parentRunId: z.string().uuid().optional().openapi({ param: { name: 'parentRunId', in: 'query' } }),
  state: z.enum(['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'OVERRUN', 'CANCELLED', 'WARNING', 'SKIPPED']).optional(),
  trigger: z.enum(['SCHEDULER', 'INITIALIZATION', 'RESUME', 'MANUAL']).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

export const route = createRoute({
  method: 'get',
  path: '/runs',
  tags: ['Runs'],
  description: 'Runs of jobs, run profiles and schedules, newest first, keyset-paged. A schedule run’s steps have its id as parentRunId.',
  request: { query: RunQuery },
  responses: { 200: { description: 'Runs', content: { 'application/json': { schema: listOf(RunSchema) } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const q = c.req.valid('query');
    const filter = {
      ...(q.workspaceId ? { workspaceId: q.workspaceId } : {}),
      ...(q.jobId ? { jobId: q.jobId } : {}),
      ...(q.runProfileId ? { runProfileId: q.runProfileId } : {}),
      ...(q.scheduleId ? { scheduleId: q.scheduleId } : {}),
      ...(q.parentRunId ? { parentRunId: q.parentRunId } : {}),
      ...(q.state ? { state: q.state } : {}),
      ...(q.trigger ? { trigger: q.trigger } : {}),
      ...(q.from ? { from: new Date(q.from) } : {}),
      ...(q.to ? { to: new Date(q.to) } : {}),
    };
    return c.json(await listRunViews(deps.db, filter, q.limit, q.cursor), 200);
  });
}
