import { createRoute, z } from '@hono/zod-openapi';
import { and, eq, inArray } from 'drizzle-orm';
import { contracts, LIVE_RUN_STATES, runs } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { ApiError, errorResponses, notFound } from '../../errors';
import { findTask } from '../../lookups';

export const route = createRoute({
  method: 'delete',
  path: '/jobs/{jobId}/tasks/{taskId}/contracts/{contractId}',
  tags: ['Tasks'],
  description: 'Forgets one contract: the next run takes the create path again for that object.',
  request: {
    params: z.object({
      jobId: z.coerce.number().int().positive().openapi({ param: { name: 'jobId', in: 'path' } }),
      taskId: z.coerce.number().int().positive().openapi({ param: { name: 'taskId', in: 'path' } }),
      contractId: z.coerce.number().int().positive().openapi({ param: { name: 'contractId', in: 'path' } }),
    }),
  },
  responses: { 204: { description: 'Deleted' }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { jobId, taskId, contractId } = c.req.valid('param');
    await findTask(deps.db, jobId, taskId);
    const [live] = await deps.db
      .select({ id: runs.id })
      .from(runs)
      .where(and(eq(runs.jobId, jobId), inArray(runs.state, [...LIVE_RUN_STATES])));
    if (live) throw new ApiError('CONFLICT', `Job ${jobId} is running: run ${live.id}`, { runId: live.id });
    const deleted = await deps.db
      .delete(contracts)
      .where(and(eq(contracts.id, contractId), eq(contracts.taskId, taskId)))
      .returning({ id: contracts.id });
    if (deleted.length === 0) throw notFound('Contract', contractId);
    return c.body(null, 204);
  });
}
