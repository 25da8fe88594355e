import { createRoute } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { runProfiles } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { errorResponses, invalidField } from '../../errors';
import { findConnectedSystem } from '../../lookups';
import { checkFilePath, findRunProfile } from './lookup';
import { ProfileParams, RunProfileBody, RunProfileSchema, runProfileView } from './schema';

export const route = createRoute({
  method: 'put',
  path: '/synchronisation/connected-systems/{id}/run-profiles/{runProfileId}',
  tags: ['Run profiles'],
  description: 'Updates a run profile. Its runType cannot change after creation.',
  request: { params: ProfileParams, body: { required: true, content: { 'application/json': { schema: RunProfileBody } } } },
  responses: { 200: { description: 'Updated', content: { 'application/json': { schema: RunProfileSchema } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { id, runProfileId } = c.req.valid('param');
    const body = c.req.valid('json');
    const system = await findConnectedSystem(deps.db, id);
    const existing = await findRunProfile(deps.db, id, runProfileId);
    if (body.runType !== existing.runType) throw invalidField('runType', `cannot change after creation (it is ${existing.runType})`);
    checkFilePath(system.connectorType, body.filePath);
    const [row] = await deps.db
      .update(runProfiles)
      .set({ name: body.name, pageSize: body.pageSize, partitionName: body.partitionName ?? null, filePath: body.filePath ?? null, updatedAt: new Date() })
      .where(eq(runProfiles.id, runProfileId))
      .returning();
    return c.json(runProfileView(row!), 200);
  });
}
