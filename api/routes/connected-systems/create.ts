import { createRoute } from '@hono/zod-openapi';
import { connectedSystems } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { requireWorkspace } from '../../lookups';
import { ConnectedSystemBody, ConnectedSystemSchema, connectedSystemView } from './schema';

export const route = createRoute({
  method: 'post',
  path: '/synchronisation/connected-systems',
  tags: ['Connected systems'],
  request: { body: { required: true, content: { 'application/json': { schema: ConnectedSystemBody } } } },
  responses: { 201: { description: 'Created', content: { 'application/json': { schema: ConnectedSystemSchema } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const body = c.req.valid('json');
    await requireWorkspace(deps.db, body.workspaceId, 'workspaceId');
    const [row] = await deps.db
      .insert(connectedSystems)
      .values({
        workspaceId: body.workspaceId,
        name: body.name,
        connectorType: body.connectorType,
        config: body.config,
        secretsCiphertext: body.secrets && Object.keys(body.secrets).length > 0 ? deps.secretBox.encrypt(body.secrets) : null,
      })
      .returning();
    return c.json(connectedSystemView(row!, deps.secretBox), 201);
  });
}
