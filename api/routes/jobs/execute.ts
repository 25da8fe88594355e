import { createRoute, z } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import { tasks } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { ApiError, errorResponses, malformedField } from '../../errors';
import { findJob } from '../../lookups';
import { startRun } from '../../run-starter';
import { IdParam } from '../../schemas';

const ExecuteBody = z
  .object({
    tasks: z.array(z.number().int().positive()).min(1).optional().openapi({ description: 'Run only these tasks (ids); default every active task' }),
    dryRun: z.boolean().optional(),
  })
  .strict();

export const route = createRoute({
  method: 'post',
  path: '/jobs/{jobId}/execute',
  tags: ['Jobs'],
  request: { params: IdParam('jobId'), body: { required: false, content: { 'application/json': { schema: ExecuteBody } } } },
  responses: {
    202: {
      description: 'The run started; Location points at it',
      headers: z.object({ Location: z.string() }),
      content: { 'application/json': { schema: z.object({ runId: z.string().uuid() }) } },
    },
    ...errorResponses,
  },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { jobId } = c.req.valid('param');
    const body = c.req.valid('json') ?? {};
    const job = await findJob(deps.db, jobId);

    const active = await deps.db.select({ id: tasks.id }).from(tasks).where(and(eq(tasks.jobId, jobId), eq(tasks.isActive, true)));
    const activeIds = new Set(active.map((t) => t.id));
    body.tasks?.forEach((taskId, i) => {
      if (!activeIds.has(taskId)) throw malformedField(`tasks.${i}`, `task ${taskId} is not an active task of job ${jobId}`);
    });
    if (activeIds.size === 0) throw new ApiError('VALIDATION_ERROR', `Job ${jobId} has no active task to run`, { errors: [{ path: 'tasks', message: 'the job has no active task' }] });

    const { runId } = await startRun(
      deps,
      { kind: 'job', workspaceId: job.workspaceId, jobId: job.id },
      { trigger: 'MANUAL', dryRun: body.dryRun ?? false, ...(body.tasks ? { taskIds: body.tasks } : {}) },
    );
    c.header('Location', `/api/v1/runs/${runId}`);
    return c.json({ runId }, 202);
  });
}
