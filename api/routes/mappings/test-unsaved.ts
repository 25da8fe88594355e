import { createRoute, z } from '@hono/zod-openapi';
import type { JsonObject } from '../../../activities/connectors/types';
import type { Router } from '../../app';
import { errorResponses } from '../../errors';
import { MappingBody, MappingTestResult, runMappingTest } from './schema';

// The saved shape is accepted whole; workspaceId and name mean nothing for a test and may be left out.
const UnsavedMapping = MappingBody.partial({ workspaceId: true, name: true });

export const route = createRoute({
  method: 'post',
  path: '/mappings/test',
  tags: ['Mappings'],
  description: 'Maps one input object with an unsaved mapping (the mapping body without workspaceId and name).',
  request: {
    body: {
      required: true,
      content: { 'application/json': { schema: z.object({ mapping: UnsavedMapping, input: z.record(z.string(), z.unknown()) }).strict() } },
    },
  },
  responses: { 200: { description: 'The mapped object and the problems found', content: { 'application/json': { schema: MappingTestResult } } }, ...errorResponses },
});

export function register(app: Router) {
  app.openapi(route, async (c) => {
    const { mapping, input } = c.req.valid('json');
    return c.json(await runMappingTest(mapping, input as JsonObject), 200);
  });
}
