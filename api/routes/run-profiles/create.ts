import { createRoute } from '@hono/zod-openapi';
import { runProfiles } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { findConnectedSystem } from '../../lookups';
import { IdParam } from '../../schemas';
import { checkFilePath } from './lookup';
import { RunProfileBody, RunProfileSchema, runProfileView } from './schema';

export const route = createRoute({
  method: 'post',
  path: '/synchronisation/connected-systems/{id}/run-profiles',
  tags: ['Run profiles'],
  request: { params: IdParam('id'), body: { required: true, content: { 'application/json': { schema: RunProfileBody } } } },
  responses: { 201: { description: 'Created', content: { 'application/json': { schema: RunProfileSchema } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const system = await findConnectedSystem(deps.db, id);
    checkFilePath(system.connectorType, body.filePath);
    const [row] = await deps.db
      .insert(runProfiles)
      .values({ connectedSystemId: id, name: body.name, runType: body.runType, pageSize: body.pageSize, partitionName: body.partitionName ?? null, filePath: body.filePath ?? null })
      .returning();
    return c.json(runProfileView(row!), 201);
  });
}
