import { createRoute, z } from '@hono/zod-openapi';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { listRunViews } from '../../run-views';
import { ListQuery, listOf, RunSchema } from '../../schemas';

const ActivityQuery = ListQuery.extend({
  connectedSystemId: z.coerce.number().int().positive().optional(),
  runProfileId: z.coerce.number().int().positive().optional(),
  state: z.enum(['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'OVERRUN', 'CANCELLED', 'WARNING', 'SKIPPED']).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

export const route = createRoute({
  method: 'get',
  path: '/activities',
  tags: ['Run profiles'],
  description: "Runs of run profiles (JIM calls them activities), newest first; the same body as /runs/{id}.",
  request: { query: ActivityQuery },
  responses: { 200: { description: 'Runs of run profiles', content: { 'application/json': { schema: listOf(RunSchema) } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const q = c.req.valid('query');
    const filter = {
      runProfileRunsOnly: true,
      ...(q.connectedSystemId ? { connectedSystemId: q.connectedSystemId } : {}),
      ...(q.runProfileId ? { runProfileId: q.runProfileId } : {}),
      ...(q.state ? { state: q.state } : {}),
      ...(q.from ? { from: new Date(q.from) } : {}),
      ...(q.to ? { to: new Date(q.to) } : {}),
    };
    return c.json(await listRunViews(deps.db, filter, q.limit, q.cursor), 200);
  });
}
