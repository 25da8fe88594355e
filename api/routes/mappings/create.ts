import { createRoute } from '@hono/zod-openapi';
import { mappings } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { requireWorkspace } from '../../lookups';
import { MappingBody, MappingSchema, mappingView, validateMappingRules } from './schema';

export const route = createRoute({
  method: 'post',
  path: '/mappings',
  tags: ['Mappings'],
  request: { body: { required: true, content: { 'application/json': { schema: MappingBody } } } },
  responses: { 201: { description: 'Created', content: { 'application/json': { schema: MappingSchema } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const body = c.req.valid('json');
    validateMappingRules(body);
    await requireWorkspace(deps.db, body.workspaceId, 'workspaceId');
    const [row] = await deps.db
      .insert(mappings)
      .values({
        workspaceId: body.workspaceId,
        name: body.name,
        rules: body.mapping,
        casts: body.casts ?? null,
        unset: body.unset ?? null,
        passThrough: body.passThrough,
        targetSchema: body.targetSchema ?? null,
      })
      .returning();
    return c.json(mappingView(row!), 201);
  });
}
