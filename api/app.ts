// createApp(deps) builds the whole HTTP API; server.ts wires real dependencies, tests pass their own
// and call app.request().
import { swaggerUI } from '@hono/swagger-ui';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Client } from '@temporalio/client';
import { requestId } from 'hono/request-id';
import type { Db } from '../db/client';
import type { SecretBox } from '../db/secrets';
import { registerCDataRoutes } from './cdata';
import { ApiError, fieldErrorsOf, problemResponse, toApiError } from './errors';
import { registerActivityRoutes } from './routes/activities';
import { registerConnectedSystemRoutes } from './routes/connected-systems';
import { registerContractRoutes } from './routes/contracts';
import { registerJobRoutes } from './routes/jobs';
import { registerMappingRoutes } from './routes/mappings';
import { registerRunProfileRoutes } from './routes/run-profiles';
import { registerRunRoutes } from './routes/runs';
import { registerScheduleRoutes } from './routes/schedules';
import { registerTaskRoutes } from './routes/tasks';
import { registerWorkspaceRoutes } from './routes/workspaces';

export interface AppDeps {
  db: Db;
  temporal: { client: Client; taskQueue: string };
  secretBox: SecretBox;
  /** When set, every /api request needs `Authorization: Bearer <adminKey>`. */
  adminKey?: string;
  log?: (message: string, err?: unknown) => void;
}

export type AppEnv = { Variables: { requestId: string } };
export type Router = OpenAPIHono<AppEnv>;

export function createRouter(): Router {
  return new OpenAPIHono<AppEnv>({
    // Request validation failures: a body that parsed but does not fit is 422 naming the fields;
    // bad path or query parameters are 400.
    defaultHook: (result, c) => {
      if (result.success) return undefined;
      const errors = fieldErrorsOf(result.error.issues);
      const detail = errors.map((e) => `${e.path}: ${e.message}`).join('; ');
      const code = result.target === 'json' ? 'VALIDATION_ERROR' : 'BAD_REQUEST';
      return problemResponse(c, new ApiError(code, detail, { errors }));
    },
  });
}

export function createApp(deps: AppDeps): Router {
  const log = deps.log ?? ((message: string, err?: unknown) => console.error(message, err));
  const app = createRouter();
  app.use(requestId());
  if (deps.adminKey) {
    const expected = `Bearer ${deps.adminKey}`;
    app.use('/api/*', async (c, next) => {
      if (c.req.header('authorization') !== expected) return problemResponse(c, new ApiError('UNAUTHORIZED', 'A valid API key is required'));
      await next();
    });
  }
  app.onError((err, c) => problemResponse(c, toApiError(err, log)));
  app.notFound((c) => problemResponse(c, new ApiError('NOT_FOUND', `No route for ${c.req.method} ${c.req.path}`)));

  const api = createRouter();
  registerWorkspaceRoutes(api, deps);
  registerConnectedSystemRoutes(api, deps);
  registerRunProfileRoutes(api, deps);
  registerActivityRoutes(api, deps);
  registerMappingRoutes(api, deps);
  registerJobRoutes(api, deps);
  registerTaskRoutes(api, deps);
  registerContractRoutes(api, deps);
  registerRunRoutes(api, deps);
  registerScheduleRoutes(api, deps);
  app.route('/api/v1', api);
  registerCDataRoutes(app, deps);

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Syncline API', version: '1.0.0', description: 'Data synchronisation on Temporal: jobs, tasks, runs, run profiles, mappings, schedules.' },
  });
  app.get('/docs', swaggerUI({ url: '/openapi.json' }));
  return app;
}
