import { createRoute, z } from '@hono/zod-openapi';
import { profileUnits } from '../../../activities/run-state';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { findConnectedSystem } from '../../lookups';
import { startRun } from '../../run-starter';
import { findRunProfile } from './lookup';
import { ProfileParams } from './schema';

export const route = createRoute({
  method: 'post',
  path: '/synchronisation/connected-systems/{id}/run-profiles/{runProfileId}/execute',
  tags: ['Run profiles'],
  request: { params: ProfileParams },
  responses: {
    202: {
      description: 'The run (JIM: activity) started; Location points at it',
      headers: z.object({ Location: z.string() }),
      content: { 'application/json': { schema: z.object({ activityId: z.string().uuid(), message: z.string(), warnings: z.array(z.string()) }) } },
    },
    ...errorResponses,
  },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { id, runProfileId } = c.req.valid('param');
    const system = await findConnectedSystem(deps.db, id);
    const profile = await findRunProfile(deps.db, id, runProfileId);
    const units = await profileUnits(deps.db, profile);
    const warnings =
      units.length === 0
        ? [`No active task ${profile.runType === 'Export' ? 'writes to' : 'reads from'} connected system ${id}${profile.partitionName ? ` for partition ${profile.partitionName}` : ''}: the run has nothing to do`]
        : [];
    const { runId } = await startRun(
      deps,
      { kind: 'profile', workspaceId: system.workspaceId, runProfileId, connectedSystemId: id, runType: profile.runType },
      { trigger: 'MANUAL' },
    );
    c.header('Location', `/api/v1/activities/${runId}`);
    return c.json({ activityId: runId, message: `${profile.runType} of ${system.name} started`, warnings }, 202);
  });
}
