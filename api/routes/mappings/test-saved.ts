import { createRoute, z } from '@hono/zod-openapi';
import type { JsonObject } from '../../../activities/connectors/types';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { findMapping } from '../../lookups';
import { IdParam } from '../../schemas';
import { MappingTestResult, runMappingTest } from './schema';

export const route = createRoute({
  method: 'post',
  path: '/mappings/{id}/test',
  tags: ['Mappings'],
  description: 'Maps one input object with a saved mapping and checks it against its target schema.',
  request: {
    params: IdParam('id'),
    body: { required: true, content: { 'application/json': { schema: z.object({ input: z.record(z.string(), z.unknown()) }).strict() } } },
  },
  responses: { 200: { description: 'The mapped object and the problems found', content: { 'application/json': { schema: MappingTestResult } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid('param');
    const { input } = c.req.valid('json');
    const mapping = await findMapping(deps.db, id);
    const rules = {
      mapping: mapping.rules,
      casts: mapping.casts ?? undefined,
      unset: mapping.unset ?? undefined,
      passThrough: mapping.passThrough,
      targetSchema: mapping.targetSchema ?? undefined,
    };
    return c.json(await runMappingTest(rules, input as JsonObject), 200);
  });
}
