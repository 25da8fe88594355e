import { createRoute } from '@hono/zod-openapi';
import { and, count, eq, gte, sql } from 'drizzle-orm';
import { mappings, tasks } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { errorResponses, invalidField } from '../../errors';
import { findJob } from '../../lookups';
import { IdParam } from '../../schemas';
import { TaskBody, TaskSchema, taskView } from './schema';

export const route = createRoute({
  method: 'post',
  path: '/jobs/{jobId}/tasks',
  tags: ['Tasks'],
  request: { params: IdParam('jobId'), body: { required: true, content: { 'application/json': { schema: TaskBody } } } },
  responses: { 201: { description: 'Created', content: { 'application/json': { schema: TaskSchema } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { jobId } = c.req.valid('param');
    const body = c.req.valid('json');
    const job = await findJob(deps.db, jobId);
    if (body.mappingId !== undefined) {
      const [mapping] = await deps.db.select().from(mappings).where(and(eq(mappings.id, body.mappingId), eq(mappings.workspaceId, job.workspaceId)));
      if (!mapping) throw invalidField('mappingId', `mapping ${body.mappingId} does not exist in workspace ${job.workspaceId}`);
    }
    const row = await deps.db.transaction(async (tx) => {
      // Serialise task edits of one job so indexes stay dense from 0.
      await tx.execute(sql`select pg_advisory_xact_lock(${jobId})`);
      const [{ n }] = (await tx.select({ n: count() }).from(tasks).where(eq(tasks.jobId, jobId))) as [{ n: number }];
      const index = Math.min(body.index ?? n, n);
      if (index < n) {
        await tx.update(tasks).set({ index: sql`${tasks.index} + 1` }).where(and(eq(tasks.jobId, jobId), gte(tasks.index, index)));
      }
      const [created] = await tx.insert(tasks).values({ ...body, jobId, index }).returning();
      return created!;
    });
    return c.json(taskView(row), 201);
  });
}
