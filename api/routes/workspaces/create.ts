import { createRoute } from '@hono/zod-openapi';
import { workspaces } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { errorResponses } from '../../errors';
import { WorkspaceBody, WorkspaceSchema, workspaceView } from './schema';

export const route = createRoute({
  method: 'post',
  path: '/workspaces',
  tags: ['Workspaces'],
  request: { body: { required: true, content: { 'application/json': { schema: WorkspaceBody } } } },
  responses: { 201: { description: 'Created', content: { 'application/json': { schema: WorkspaceSchema } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const body = c.req.valid('json');
    const [row] = await deps.db.insert(workspaces).values({ name: body.name }).returning();
    return c.json(workspaceView(row!), 201);
  });
}
