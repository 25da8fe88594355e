import { createRoute } from '@hono/zod-openapi';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { findConnectedSystem } from '../../lookups';
import { IdParam } from '../../schemas';
import { ConnectedSystemSchema, connectedSystemView } from './schema';

export const route = createRoute({
  method: 'get',
  path: '/synchronisation/connected-systems/{id}',
  tags: ['Connected systems'],
  request: { params: IdParam('id') },
  responses: { 200: { description: 'The connected system', content: { 'application/json': { schema: ConnectedSystemSchema } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const row = await findConnectedSystem(deps.db, c.req.valid('param').id);
    return c.json(connectedSystemView(row, deps.secretBox), 200);
  });
}
