import { createRoute } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { mappings, tasks } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { ApiError, errorResponses } from '../../errors';
import { findMapping } from '../../lookups';
import { IdParam } from '../../schemas';

export const route = createRoute({
  method: 'delete',
  path: '/mappings/{id}',
  tags: ['Mappings'],
  description: 'Deletes a mapping. Refused (409) while a task uses it.',
  request: { params: IdParam('id') },
  responses: { 204: { description: 'Deleted' }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid('param');
    await findMapping(deps.db, id);
    const [user] = await deps.db.select({ id: tasks.id, jobId: tasks.jobId }).from(tasks).where(eq(tasks.mappingId, id)).limit(1);
    if (user) throw new ApiError('CONFLICT', `Mapping ${id} is used by task ${user.id} of job ${user.jobId}`);
    await deps.db.delete(mappings).where(eq(mappings.id, id));
    return c.body(null, 204);
  });
}
