import { createRoute, z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { isLiveRunState } from '../../../db/schema';
import type { AppDeps, Router } from '../../app';
import { errorResponses, notFound } from '../../errors';
import { findRunView } from '../../run-views';

/** How often the stream reads the run; the engine records progress every few seconds. */
const POLL_MS = 1_000;

export const route = createRoute({
  method: 'get',
  path: '/runs/{runId}/events',
  tags: ['Runs'],
  summary: 'Server-sent events of the run until it ends',
  description:
    'A `progress` event (data: the run) whenever the run changes, then one `end` event (data: the final run) and the stream closes. An ended run answers with the `end` event at once.',
  request: { params: z.object({ runId: z.string().openapi({ param: { name: 'runId', in: 'path' } }) }) },
  responses: { 200: { description: 'text/event-stream of progress and end events', content: { 'text/event-stream': { schema: z.string() } } }, ...errorResponses },
});

export function register(app: Router, deps: AppDeps) {
  app.openapi(route, async (c) => {
    const { runId } = c.req.valid('param');
    const first = await findRunView(deps.db, runId);
    if (!first) throw notFound('Run', runId);
    return streamSSE(c, async (stream) => {
      let run = first;
      let sent = '';
      let id = 0;
      while (!stream.aborted) {
        const data = JSON.stringify(run);
        if (!isLiveRunState(run.state)) {
          await stream.writeSSE({ event: 'end', data, id: String(++id) });
          return;
        }
        if (data !== sent) {
          await stream.writeSSE({ event: 'progress', data, id: String(++id) });
          sent = data;
        }
        await stream.sleep(POLL_MS);
        const next = await findRunView(deps.db, runId);
        if (!next) return; // deleted with its job
        run = next;
      }
    }) as never;
  });
}
