import { createRoute } from '@hono/zod-openapi';
import { asc, gt } from 'drizzle-orm';
import { workspaces } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { decodeIdCursor, idPage, ListQuery, listOf } from '../../schemas';
import { WorkspaceSchema, workspaceView } from './schema';

export const route = createRoute({
  method: 'get',
  path: '/workspaces',
  tags: ['Workspaces'],
  request: { query: ListQuery },
  responses: { 200: { description: 'Workspaces by id', content: { 'application/json': { schema: listOf(WorkspaceSchema) } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const after = decodeIdCursor(cursor);
    const rows = await deps.db
      .select()
      .from(workspaces)
      .where(after === undefined ? undefined : gt(workspaces.id, after))
      .orderBy(asc(workspaces.id))
      .limit(limit + 1);
    return c.json(idPage(rows, limit, workspaceView), 200);
  });
}
