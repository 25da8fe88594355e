import { createRoute } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { discoverConnectionSchema } from '../../../activities/connectors/probe';
import { SyncError } from '../../../activities/errors';
import { connectedSystems } from '../../../db/schema';
import { redactSecrets } from '../../../db/secrets';
import type { AppDeps, Router } from '../../app';
import { ApiError, errorResponses, invalidField } from '../../errors';
import { findConnectedSystem } from '../../lookups';
import { IdParam } from '../../schemas';
import { DiscoveredSchemaSchema } from './schema';
import { entityHints, probeTarget } from './probe-target';

export const route = createRoute({
  method: 'post',
  path: '/synchronisation/connected-systems/{id}/schema/import',
  tags: ['Connected systems'],
  description: 'Discovers entities and fields: a sample page of each task entity (http-json), information_schema (postgres), file headers (file).',
  request: { params: IdParam('id') },
  responses: { 200: { description: 'The imported schema', content: { 'application/json': { schema: DiscoveredSchemaSchema } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const row = await findConnectedSystem(deps.db, c.req.valid('param').id);
    const hints = row.connectorType === 'http-json' ? await entityHints(deps.db, row.id) : [];
    if (row.connectorType === 'http-json' && hints.length === 0) {
      throw new ApiError('VALIDATION_ERROR', 'No task reads from this connected system yet, so there is no entity to sample', {
        errors: [{ path: 'tasks', message: 'add a job task whose source is this connected system' }],
      });
    }
    const target = probeTarget(row, deps.secretBox);
    let schema;
    try {
      schema = await discoverConnectionSchema(target, hints);
    } catch (err) {
      // The system's own configuration does not work (wrong URL, credentials, path): name it.
      if (err instanceof SyncError) throw invalidField('config', redactSecrets(`schema import failed (${err.code}): ${err.message}`, target.secrets));
      // Unreachable hosts, refused connections and database errors carry a code (ECONNREFUSED, 28P01, ...).
      const code = err instanceof Error ? (err as Error & { code?: unknown }).code : undefined;
      if (err instanceof Error && typeof code === 'string') {
        throw invalidField('config', redactSecrets(`schema import failed (${code}): ${err.message}`, target.secrets));
      }
      throw err;
    }
    await deps.db.update(connectedSystems).set({ discoveredSchema: { ...schema } }).where(eq(connectedSystems.id, row.id));
    return c.json(schema, 200);
  });
}
