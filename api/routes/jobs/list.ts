import { createRoute } from '@hono/zod-openapi';
import { and, asc, eq, gt } from 'drizzle-orm';
import { jobs } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { findWorkspace } from '../../lookups';
import { decodeIdCursor, idPage, IdParam, ListQuery, listOf } from '../../schemas';
import { JobSchema, jobView } from './schema';

export const route = createRoute({
  method: 'get',
  path: '/workspaces/{workspaceId}/jobs',
  tags: ['Jobs'],
  request: { params: IdParam('workspaceId'), query: ListQuery },
  responses: { 200: { description: 'Jobs of the workspace by id', content: { 'application/json': { schema: listOf(JobSchema) } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { workspaceId } = c.req.valid('param');
    const { limit, cursor } = c.req.valid('query');
    await findWorkspace(deps.db, workspaceId);
    const after = decodeIdCursor(cursor);
    const rows = await deps.db
      .select()
      .from(jobs)
      .where(and(eq(jobs.workspaceId, workspaceId), after === undefined ? undefined : gt(jobs.id, after)))
      .orderBy(asc(jobs.id))
      .limit(limit + 1);
    return c.json(idPage(rows, limit, jobView), 200);
  });
}
