import { createRoute, z } from '@hono/zod-openapi';
import { asc, desc, eq, inArray } from 'drizzle-orm';
import { entityRuns, runs, tasks } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { findJob } from '../../lookups';
import { entityRunView } from '../../run-views';
import { IdParam } from '../../schemas';
import { TaskRunSchema } from './schema';

const TaskLastRunSchema = z
  .object({
    taskId: z.number().int(),
    index: z.number().int(),
    targetEntity: z.string(),
    lastRun: TaskRunSchema.nullable().openapi({ description: 'The latest run of the task (a live one included); null if it never ran' }),
  })
  .openapi('TaskLastRun');

export const route = createRoute({
  method: 'get',
  // Registered before /jobs/{jobId}/tasks/{taskId}, which would otherwise answer 400 for "last-run".
  path: '/jobs/{jobId}/tasks/last-run',
  tags: ['Tasks'],
  request: { params: IdParam('jobId') },
  responses: {
    200: { description: "Each task's last entity run, in task index order", content: { 'application/json': { schema: z.object({ items: z.array(TaskLastRunSchema) }) } } },
    ...errorResponses,
  },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { jobId } = c.req.valid('param');
    await findJob(deps.db, jobId);
    const jobTasks = await deps.db
      .select({ id: tasks.id, index: tasks.index, targetEntity: tasks.targetEntity })
      .from(tasks)
      .where(eq(tasks.jobId, jobId))
      .orderBy(asc(tasks.index), asc(tasks.id));
    // The newest entity run of every task at once: DISTINCT ON keeps the first row per task.
    const latest =
      jobTasks.length === 0
        ? []
        : await deps.db
            .selectDistinctOn([entityRuns.taskId], { entityRun: entityRuns })
            .from(entityRuns)
            .innerJoin(runs, eq(runs.id, entityRuns.runId))
            .where(inArray(entityRuns.taskId, jobTasks.map((t) => t.id)))
            .orderBy(entityRuns.taskId, desc(runs.createdAt), desc(runs.id));
    const byTask = new Map(latest.map(({ entityRun }) => [entityRun.taskId, { ...entityRunView(entityRun), runId: entityRun.runId }]));
    return c.json({ items: jobTasks.map((t) => ({ taskId: t.id, index: t.index, targetEntity: t.targetEntity, lastRun: byTask.get(t.id) ?? null })) }, 200);
  });
}
