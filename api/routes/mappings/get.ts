import { createRoute } from '@hono/zod-openapi';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { findMapping } from '../../lookups';
import { IdParam } from '../../schemas';
import { MappingSchema, mappingView } from './schema';

export const route = createRoute({
  method: 'get',
  path: '/mappings/{id}',
  tags: ['Mappings'],
  request: { params: IdParam('id') },
  responses: { 200: { description: 'The mapping', content: { 'application/json': { schema: MappingSchema } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => c.json(mappingView(await findMapping(deps.db, c.req.valid('param').id)), 200));
}
