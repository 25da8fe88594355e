import { createRoute } from '@hono/zod-openapi';
import { and, eq, inArray } from 'drizzle-orm';
import { mappings, LIVE_RUN_STATES, runs, tasks } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { ApiError, errorResponses, invalidField } from '../../errors';
import { findMapping } from '../../lookups';
import { IdParam } from '../../schemas';
import { MappingBody, MappingSchema, mappingView, validateMappingRules } from './schema';

export const route = createRoute({
  method: 'put',
  path: '/mappings/{id}',
  tags: ['Mappings'],
  description: 'Replaces a mapping. Refused (409) while a job whose task uses it is running.',
  request: { params: IdParam('id'), body: { required: true, content: { 'application/json': { schema: MappingBody } } } },
  responses: { 200: { description: 'Updated', content: { 'application/json': { schema: MappingSchema } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const existing = await findMapping(deps.db, id);
    if (body.workspaceId !== existing.workspaceId) throw invalidField('workspaceId', `cannot change (it is ${existing.workspaceId})`);
    validateMappingRules(body);
    // A run compiles its mappings once; changing one under it would mix two versions in one run.
    const [live] = await deps.db
      .select({ runId: runs.id })
      .from(tasks)
      .innerJoin(runs, eq(runs.jobId, tasks.jobId))
      .where(and(eq(tasks.mappingId, id), inArray(runs.state, [...LIVE_RUN_STATES])))
      .limit(1);
    if (live) throw new ApiError('CONFLICT', `Mapping ${id} is used by a running job: run ${live.runId}`, { runId: live.runId });
    const [row] = await deps.db
      .update(mappings)
      .set({
        name: body.name,
        rules: body.mapping,
        casts: body.casts ?? null,
        unset: body.unset ?? null,
        passThrough: body.passThrough,
        targetSchema: body.targetSchema ?? null,
        updatedAt: new Date(),
      })
      .where(eq(mappings.id, id))
      .returning();
    return c.json(mappingView(row!), 200);
  });
}
