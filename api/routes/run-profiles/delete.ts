import { createRoute } from '@hono/zod-openapi';
import { and, eq, inArray } from 'drizzle-orm';
import { runProfiles, LIVE_RUN_STATES, runs } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { ApiError, errorResponses } from '../../errors';
import { findRunProfile } from './lookup';
import { ProfileParams } from './schema';

export const route = createRoute({
  method: 'delete',
  path: '/synchronisation/connected-systems/{id}/run-profiles/{runProfileId}',
  tags: ['Run profiles'],
  request: { params: ProfileParams },
  responses: { 204: { description: 'Deleted' }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { id, runProfileId } = c.req.valid('param');
    await findRunProfile(deps.db, id, runProfileId);
    const [live] = await deps.db
      .select({ id: runs.id })
      .from(runs)
      .where(and(eq(runs.runProfileId, runProfileId), inArray(runs.state, [...LIVE_RUN_STATES])));
    if (live) throw new ApiError('CONFLICT', `Run profile ${runProfileId} is running: run ${live.id}`, { runId: live.id });
    await deps.db.delete(runProfiles).where(eq(runProfiles.id, runProfileId));
    return c.body(null, 204);
  });
}
