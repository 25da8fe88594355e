import { createRoute } from '@hono/zod-openapi';
import { jobs } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { findWorkspace } from '../../lookups';
import { IdParam } from '../../schemas';
import { checkJobConnections } from './connections';
import { syncJobSchedule, withScheduleChanges } from '../../schedule-store';
import { checkJobSchedule, JobBody, jobColumns, JobSchema, jobView } from './schema';

export const route = createRoute({
  method: 'post',
  path: '/workspaces/{workspaceId}/jobs',
  tags: ['Jobs'],
  request: { params: IdParam('workspaceId'), body: { required: true, content: { 'application/json': { schema: JobBody } } } },
  responses: { 201: { description: 'Created', content: { 'application/json': { schema: JobSchema } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { workspaceId } = c.req.valid('param');
    const body = c.req.valid('json');
    await findWorkspace(deps.db, workspaceId);
    await checkJobConnections(deps.db, workspaceId, body);
    checkJobSchedule(body);
    const row = await withScheduleChanges(deps, async (tx, changes) => {
      const [job] = await tx.insert(jobs).values({ workspaceId, ...jobColumns(body) }).returning();
      await syncJobSchedule(tx, changes, job!);
      return job!;
    });
    return c.json(jobView(row), 201);
  });
}
