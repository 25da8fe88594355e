import { createRoute, z } from '@hono/zod-openapi';
import { and, asc, eq, gt } from 'drizzle-orm';
import { mappings } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { decodeIdCursor, idPage, ListQuery, listOf } from '../../schemas';
import { MappingSchema, mappingView } from './schema';

const MappingListQuery = ListQuery.extend({
  workspaceId: z.coerce.number().int().positive().optional().openapi({ param: { name: 'workspaceId', in: 'query' } }),
});

export const route = createRoute({
  method: 'get',
  path: '/mappings',
  tags: ['Mappings'],
  request: { query: MappingListQuery },
  responses: { 200: { description: 'Mappings by id', content: { 'application/json': { schema: listOf(MappingSchema) } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { limit, cursor, workspaceId } = c.req.valid('query');
    const after = decodeIdCursor(cursor);
    const rows = await deps.db
      .select()
      .from(mappings)
      .where(and(after === undefined ? undefined : gt(mappings.id, after), workspaceId === undefined ? undefined : eq(mappings.workspaceId, workspaceId)))
      .orderBy(asc(mappings.id))
      .limit(limit + 1);
    return c.json(idPage(rows, limit, mappingView), 200);
  });
}
