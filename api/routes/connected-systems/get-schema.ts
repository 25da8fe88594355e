import { createRoute } from '@hono/zod-openapi';
import type { AppDeps, Router } from '../../app';
import { ApiError, errorResponses } from '../../errors';
import { findConnectedSystem } from '../../lookups';
import { IdParam } from '../../schemas';
import { DiscoveredSchemaSchema } from './schema';

export const route = createRoute({
  method: 'get',
  path: '/synchronisation/connected-systems/{id}/schema',
  tags: ['Connected systems'],
  request: { params: IdParam('id') },
  responses: { 200: { description: 'The last imported schema', content: { 'application/json': { schema: DiscoveredSchemaSchema } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const row = await findConnectedSystem(deps.db, c.req.valid('param').id);
    if (!row.discoveredSchema) throw new ApiError('NOT_FOUND', `Connected system ${row.id} has no imported schema yet: POST .../schema/import`);
    return c.json(row.discoveredSchema as never, 200);
  });
}
