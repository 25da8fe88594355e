import { createRoute } from '@hono/zod-openapi';
import { and, eq, inArray, or } from 'drizzle-orm';
import { connectedSystems, jobs, LIVE_RUN_STATES, runs } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { ApiError, errorResponses } from '../../errors';
import { findConnectedSystem } from '../../lookups';
import { IdParam } from '../../schemas';

export const route = createRoute({
  method: 'delete',
  path: '/synchronisation/connected-systems/{id}',
  tags: ['Connected systems'],
  description: 'Deletes the connected system with its run profiles and connector space. 409 while a job uses it or a run profile of it runs.',
  request: { params: IdParam('id') },
  responses: { 204: { description: 'Deleted' }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid('param');
    await findConnectedSystem(deps.db, id);
    const users = await deps.db
      .select({ id: jobs.id })
      .from(jobs)
      .where(or(eq(jobs.sourceConnectionId, id), eq(jobs.destinationConnectionId, id)));
    if (users.length > 0) throw new ApiError('CONFLICT', `Connected system ${id} is used by job(s) ${users.map((j) => j.id).join(', ')}`);
    const [live] = await deps.db
      .select({ id: runs.id })
      .from(runs)
      .where(and(eq(runs.connectedSystemId, id), inArray(runs.state, [...LIVE_RUN_STATES])));
    if (live) throw new ApiError('CONFLICT', `Connected system ${id} is running: run ${live.id}`, { runId: live.id });
    await deps.db.delete(connectedSystems).where(eq(connectedSystems.id, id));
    return c.body(null, 204);
  });
}
