import { createRoute, z } from '@hono/zod-openapi';
import { probeConnection } from '../../../activities/connectors/probe';
import { redactSecrets } from '../../../db/secrets';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { findConnectedSystem } from '../../lookups';
import { IdParam } from '../../schemas';
import { entityHints, probeTarget } from './probe-target';

export const route = createRoute({
  method: 'post',
  path: '/synchronisation/connected-systems/{id}/test',
  tags: ['Connected systems'],
  request: { params: IdParam('id') },
  responses: {
    200: { description: 'Whether the connection works, and why not', content: { 'application/json': { schema: z.object({ ok: z.boolean(), message: z.string() }) } } },
    ...errorResponses,
  },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const row = await findConnectedSystem(deps.db, c.req.valid('param').id);
    const [hint] = row.connectorType === 'http-json' ? await entityHints(deps.db, row.id) : [];
    const target = probeTarget(row, deps.secretBox);
    const result = await probeConnection(target, hint);
    return c.json({ ok: result.ok, message: redactSecrets(result.message, target.secrets) }, 200);
  });
}
