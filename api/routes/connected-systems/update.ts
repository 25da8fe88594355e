import { createRoute } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { connectedSystems } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { errorResponses, invalidField } from '../../errors';
import { findConnectedSystem, requireWorkspace } from '../../lookups';
import { IdParam } from '../../schemas';
import { ConnectedSystemBody, ConnectedSystemSchema, connectedSystemView } from './schema';

export const route = createRoute({
  method: 'put',
  path: '/synchronisation/connected-systems/{id}',
  tags: ['Connected systems'],
  description: 'Replaces name and config. Secrets are merged: keys sent replace, keys left out are kept. The connector type cannot change.',
  request: { params: IdParam('id'), body: { required: true, content: { 'application/json': { schema: ConnectedSystemBody } } } },
  responses: { 200: { description: 'Updated', content: { 'application/json': { schema: ConnectedSystemSchema } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const existing = await findConnectedSystem(deps.db, id);
    if (body.connectorType !== existing.connectorType) throw invalidField('connectorType', `cannot change from ${existing.connectorType}`);
    if (body.workspaceId !== existing.workspaceId) await requireWorkspace(deps.db, body.workspaceId, 'workspaceId');
    const secrets = { ...deps.secretBox.decrypt(existing.secretsCiphertext), ...(body.secrets ?? {}) };
    const [row] = await deps.db
      .update(connectedSystems)
      .set({
        workspaceId: body.workspaceId,
        name: body.name,
        config: body.config,
        secretsCiphertext: Object.keys(secrets).length > 0 ? deps.secretBox.encrypt(secrets) : null,
        updatedAt: new Date(),
      })
      .where(eq(connectedSystems.id, id))
      .returning();
    return c.json(connectedSystemView(row!, deps.secretBox), 200);
  });
}
