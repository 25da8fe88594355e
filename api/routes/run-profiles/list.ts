import { createRoute, z } from '@hono/zod-openapi';
import { asc, eq } from 'drizzle-orm';
import { runProfiles } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { findConnectedSystem } from '../../lookups';
import { IdParam } from '../../schemas';
import { RunProfileSchema, runProfileView } from './schema';

export const route = createRoute({
  method: 'get',
  path: '/synchronisation/connected-systems/{id}/run-profiles',
  tags: ['Run profiles'],
  request: { params: IdParam('id') },
  responses: { 200: { description: 'Run profiles of the connected system', content: { 'application/json': { schema: z.object({ items: z.array(RunProfileSchema) }) } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid('param');
    await findConnectedSystem(deps.db, id);
    const rows = await deps.db.select().from(runProfiles).where(eq(runProfiles.connectedSystemId, id)).orderBy(asc(runProfiles.id));
    return c.json({ items: rows.map(runProfileView) }, 200);
  });
}
