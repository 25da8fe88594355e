import { createRoute } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { workspaces } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { errorResponses, notFound } from '../../errors';
import { IdParam } from '../../schemas';
import { WorkspaceSchema, workspaceView } from './schema';

export const route = createRoute({
  method: 'get',
  path: '/workspaces/{workspaceId}',
  tags: ['Workspaces'],
  request: { params: IdParam('workspaceId') },
  responses: { 200: { description: 'The workspace', content: { 'application/json': { schema: WorkspaceSchema } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { workspaceId } = c.req.valid('param');
    const [row] = await deps.db.select().from(workspaces).where(eq(workspaces.id, workspaceId));
    if (!row) throw notFound('Workspace', workspaceId);
    return c.json(workspaceView(row), 200);
  });
}
