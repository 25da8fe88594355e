import { createRoute, z } from '@hono/zod-openapi';
import { and, asc, eq, gt } from 'drizzle-orm';
import { connectedSystems } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { decodeIdCursor, idPage, ListQuery, listOf } from '../../schemas';
import { ConnectedSystemSchema, connectedSystemView } from './schema';

export const route = createRoute({
  method: 'get',
  path: '/synchronisation/connected-systems',
  tags: ['Connected systems'],
  request: { query: ListQuery.extend({ workspaceId: z.coerce.number().int().positive().optional() }) },
  responses: { 200: { description: 'Connected systems by id', content: { 'application/json': { schema: listOf(ConnectedSystemSchema) } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { limit, cursor, workspaceId } = c.req.valid('query');
    const after = decodeIdCursor(cursor);
    const rows = await deps.db
      .select()
      .from(connectedSystems)
      .where(and(workspaceId ? eq(connectedSystems.workspaceId, workspaceId) : undefined, after === undefined ? undefined : gt(connectedSystems.id, after)))
      .orderBy(asc(connectedSystems.id))
      .limit(limit + 1);
    return c.json(idPage(rows, limit, (r) => connectedSystemView(r, deps.secretBox)), 200);
  });
}
