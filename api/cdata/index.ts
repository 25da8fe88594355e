// The CData Sync REST API V2 job and task routes under /api.rsc/v2, on the native handlers: each
// request is translated (path, snake_case body, string ids), dispatched inside the app to its
// /api/v1 route, and the answer translated back (snake_case keys; problem+json stays, with its
// field paths spelled as the client sent them). Validation, conflicts and side effects are
// therefore exactly the native ones.
import { z } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import type { Context } from 'hono';
import type { StatusCode } from 'hono/utils/http-status';
import { connectedSystems, workspaces } from '../../db/schema';
import type { AppDeps, AppEnv, Router } from '../app';
import { ApiError, invalidField, notFound, problemResponse } from '../errors';
import { LenientJsonError, parseLenientJson } from './lenient-json';
import {
  type Aliases,
  isObject,
  jobBodyOf,
  normalizeKey,
  OUT_OF_RANGE_TASK_ID,
  rewriteProblem,
  settleSchedule,
  toSnakeDeep,
  translateExecuteBody,
  translateJobBody,
  translateMoveBody,
  translateTaskBody,
} from './mapping';

export const CDATA_PREFIX = '/api.rsc/v2';
const NATIVE_PREFIX = '/api/v1';

type Ctx = Context<AppEnv>;

interface NativeAnswer {
  status: number;
  headers: Headers;
  /** Parsed JSON body (problem+json included); undefined when there is none. */
  json: unknown;
  text: string;
}

export function registerCDataRoutes(app: Router, deps: AppDeps): void {
  // The same admin key as /api/*: that middleware's pattern does not match /api.rsc/*.
  if (deps.adminKey) {
    const expected = `Bearer ${deps.adminKey}`;
    app.use(`${CDATA_PREFIX}/*`, async (c, next) => {
      if (c.req.header('authorization') !== expected) return problemResponse(c, new ApiError('UNAUTHORIZED', 'A valid API key is required'));
      await next();
    });
  }

  /** Calls the native route inside the app, with the caller's credentials and request id. */
  const dispatch = async (c: Ctx, method: string, path: string, body?: unknown): Promise<NativeAnswer> => {
    const headers: Record<string, string> = { 'x-request-id': c.get('requestId') };
    const authorization = c.req.header('authorization');
    if (authorization !== undefined) headers.authorization = authorization;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const search = method === 'GET' ? new URL(c.req.url).search : '';
    const res = await app.request(`${NATIVE_PREFIX}${path}${search}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }, c.env);
    const text = await res.text();
    let json: unknown;
    if (text !== '' && /json/.test(res.headers.get('content-type') ?? '')) json = JSON.parse(text);
    return { status: res.status, headers: res.headers, json, text };
  };

  /** The native answer as the CData client reads it. */
  const reply = (c: Ctx, answer: NativeAnswer, opts: { aliases?: Aliases; message?: (e: { path: string; message: string }) => string; json?: unknown } = {}): Response => {
    const headers: Record<string, string> = {};
    const location = answer.headers.get('location');
    if (location) headers.location = location;
    const contentType = answer.headers.get('content-type');
    if (answer.status === 204 || (answer.text === '' && opts.json === undefined)) return c.newResponse(null, answer.status as StatusCode, headers);
    if (contentType) headers['content-type'] = contentType;
    if (answer.status >= 400 && isObject(answer.json)) {
      const problem = rewriteProblem(answer.json, opts.aliases ?? new Map(), opts.message);
      return c.newResponse(JSON.stringify(problem), answer.status as StatusCode, headers);
    }
    if (opts.json !== undefined || answer.json !== undefined) {
      headers['content-type'] = 'application/json';
      return c.newResponse(JSON.stringify(toSnakeDeep(opts.json ?? answer.json)), answer.status as StatusCode, headers);
    }
    return c.newResponse(answer.text, answer.status as StatusCode, headers);
  };

  /** The request body read leniently (see lenient-json.ts); no body is `{}`. 400 when unreadable. */
  const readBody = async (c: Ctx): Promise<unknown> => {
    let parsed: unknown;
    try {
      parsed = parseLenientJson(await c.req.text());
    } catch (err) {
      if (err instanceof LenientJsonError) throw new ApiError('BAD_REQUEST', err.message);
      throw err;
    }
    return parsed === undefined ? {} : parsed;
  };

  /**
   * A connection reference → its id in the workspace: a number, a digit string, `{ Id, Name }`, or
   * the connected system's exact name (the seed's "550e8400-…" ids). Unknown → 422 naming the key.
   */
  const connectionResolver = (workspaceId: number | undefined) => async (value: unknown, clientKey: string): Promise<unknown> => {
    let name: unknown = value;
    if (isObject(value)) {
      const pick = (norm: string) => Object.entries(value).find(([k]) => normalizeKey(k) === norm)?.[1];
      const id = pick('id');
      if (typeof id === 'number' || (typeof id === 'string' && /^\d+$/.test(id) && Number.isSafeInteger(Number(id)))) return Number(id);
      name = pick('name') ?? id;
    }
    if (typeof name !== 'string' || workspaceId === undefined) return value;
    if (/^\d+$/.test(name) && Number.isSafeInteger(Number(name))) return Number(name);
    const rows = await deps.db
      .select({ id: connectedSystems.id })
      .from(connectedSystems)
      .where(and(eq(connectedSystems.workspaceId, workspaceId), eq(connectedSystems.name, name)));
    if (rows.length === 1) return rows[0]!.id;
    if (rows.length > 1) throw invalidField(clientKey, `${rows.length} connected systems in workspace ${workspaceId} are named "${name}"; give the id`);
    const [workspace] = await deps.db.select({ id: workspaces.id }).from(workspaces).where(eq(workspaces.id, workspaceId));
    if (!workspace) throw notFound('Workspace', workspaceId);
    throw invalidField(clientKey, `no connected system with id or name "${name}" in workspace ${workspaceId}`);
  };

  const enc = encodeURIComponent;
  const P = CDATA_PREFIX;
  const jobParams = new Map([['jobId', 'job_id']]);
  const taskParams = new Map([['jobId', 'job_id'], ['taskId', 'task_id']]);
  const withParams = (aliases: Aliases, params: Map<string, string>) => new Map([...params, ...aliases]);
  const positiveInt = (raw: string) => (/^\d+$/.test(raw) && Number.isSafeInteger(Number(raw)) ? Number(raw) : undefined);

  // ---- jobs -------------------------------------------------------------------------------------

  app.get(`${P}/workspaces/:workspaceId/jobs`, async (c) =>
    reply(c, await dispatch(c, 'GET', `/workspaces/${enc(c.req.param('workspaceId'))}/jobs`), { aliases: new Map([['workspaceId', 'workspace_id']]) }),
  );

  app.post(`${P}/workspaces/:workspaceId/jobs`, async (c) => {
    const workspaceParam = c.req.param('workspaceId');
    const input = await readBody(c);
    const params = new Map([['workspaceId', 'workspace_id']]);
    if (!isObject(input)) return reply(c, await dispatch(c, 'POST', `/workspaces/${enc(workspaceParam)}/jobs`, input), { aliases: params });
    const { body, aliases, queries } = await translateJobBody(input, connectionResolver(positiveInt(workspaceParam)), { allowQueries: true });
    const created = await dispatch(c, 'POST', `/workspaces/${enc(workspaceParam)}/jobs`, settleSchedule(body));
    if (created.status !== 201 || !queries || !isObject(created.json)) return reply(c, created, { aliases: withParams(aliases, params) });

    // One task per query, in order, through the native task create; a refused query undoes the job.
    const jobId = String(created.json.id);
    const tasks: unknown[] = [];
    for (const [i, query] of queries.list.entries()) {
      const task = await dispatch(c, 'POST', `/jobs/${jobId}/tasks`, { query });
      if (task.status !== 201) {
        await dispatch(c, 'DELETE', `/jobs/${jobId}`);
        return reply(c, task, { aliases: new Map([['query', `${queries.key}.${i}`]]) });
      }
      tasks.push(task.json);
    }
    return reply(c, created, { json: { ...created.json, tasks } });
  });

  const getJob = async (c: Ctx, jobRef: string) => reply(c, await dispatch(c, 'GET', `/jobs/${enc(jobRef)}`), { aliases: jobParams });

  /** PUT is partial here (the seed updates a name and a schedule): merged over the current job. */
  const updateJob = async (c: Ctx, jobRef: string) => {
    const input = await readBody(c);
    const current = await dispatch(c, 'GET', `/jobs/${enc(jobRef)}`);
    if (current.status !== 200 || !isObject(current.json)) return reply(c, current, { aliases: jobParams });
    if (!isObject(input)) return reply(c, await dispatch(c, 'PUT', `/jobs/${enc(jobRef)}`, input), { aliases: jobParams });
    const workspaceId = typeof current.json.workspaceId === 'number' ? current.json.workspaceId : undefined;
    const { body, aliases } = await translateJobBody(input, connectionResolver(workspaceId), { allowQueries: false });
    const merged = settleSchedule({ ...jobBodyOf(current.json), ...body });
    return reply(c, await dispatch(c, 'PUT', `/jobs/${enc(jobRef)}`, merged), { aliases: withParams(aliases, jobParams) });
  };

  const deleteJob = async (c: Ctx, jobRef: string) => reply(c, await dispatch(c, 'DELETE', `/jobs/${enc(jobRef)}`), { aliases: jobParams });

  app.get(`${P}/jobs/:jobId`, (c) => getJob(c, c.req.param('jobId')));
  app.put(`${P}/jobs/:jobId`, (c) => updateJob(c, c.req.param('jobId')));
  app.delete(`${P}/jobs/:jobId`, (c) => deleteJob(c, c.req.param('jobId')));
  // The documentation prints PUT and DELETE as `/api.rsc/v2/jobs{job_id}`: `/api.rsc/v2/jobs123` works too.
  const noSlash = `${P}/:jobRef{jobs[0-9]+}`;
  const noSlashId = (c: Ctx) => (c.req.param('jobRef') ?? '').slice('jobs'.length);
  app.get(noSlash, (c) => getJob(c, noSlashId(c)));
  app.put(noSlash, (c) => updateJob(c, noSlashId(c)));
  app.delete(noSlash, (c) => deleteJob(c, noSlashId(c)));

  app.post(`${P}/jobs/:jobId/execute`, async (c) => {
    const input = await readBody(c);
    const path = `/jobs/${enc(c.req.param('jobId'))}/execute`;
    if (!isObject(input)) return reply(c, await dispatch(c, 'POST', path, input), { aliases: jobParams });
    const { body, aliases, outOfRange } = translateExecuteBody(input);
    // An id too large for any task reaches the native check as a placeholder; name it as sent.
    const message = (e: { path: string; message: string }) => {
      const sent = outOfRange.get(Number(/^tasks\.(\d+)$/.exec(e.path)?.[1] ?? NaN));
      return sent === undefined ? e.message : e.message.replace(`task ${OUT_OF_RANGE_TASK_ID}`, `task ${sent}`);
    };
    return reply(c, await dispatch(c, 'POST', path, body), { aliases: withParams(aliases, jobParams), message });
  });

  for (const action of ['cancel', 'pause', 'resume', 'status', 'history'] as const) {
    const method = action === 'status' || action === 'history' ? 'GET' : 'POST';
    const route = `${P}/jobs/:jobId/${action}`;
    const handler = async (c: Ctx) => reply(c, await dispatch(c, method, `/jobs/${enc(c.req.param('jobId') ?? '')}/${action}`), { aliases: jobParams });
    if (method === 'GET') app.get(route, handler);
    else app.post(route, handler);
  }

  app.get(`${P}/jobs/:jobId/history/:historyId`, async (c) =>
    reply(c, await dispatch(c, 'GET', `/jobs/${enc(c.req.param('jobId'))}/history/${enc(c.req.param('historyId'))}`), {
      aliases: new Map([['jobId', 'job_id'], ['runId', 'history_id']]),
    }),
  );

  // ---- tasks ------------------------------------------------------------------------------------

  const tasksPath = (c: Ctx) => `/jobs/${enc(c.req.param('jobId') ?? '')}/tasks`;
  const taskPath = (c: Ctx) => `${tasksPath(c)}/${enc(c.req.param('taskId') ?? '')}`;

  const taskWrite = (method: 'POST' | 'PUT', path: (c: Ctx) => string, params: Map<string, string>) => async (c: Ctx) => {
    const input = await readBody(c);
    if (!isObject(input)) return reply(c, await dispatch(c, method, path(c), input), { aliases: params });
    const { body, aliases } = translateTaskBody(input);
    return reply(c, await dispatch(c, method, path(c), body), { aliases: withParams(aliases, params) });
  };

  app.get(`${P}/jobs/:jobId/tasks`, async (c) => reply(c, await dispatch(c, 'GET', tasksPath(c)), { aliases: jobParams }));
  app.post(`${P}/jobs/:jobId/tasks`, taskWrite('POST', tasksPath, jobParams));
  // Before /tasks/:taskId, which would otherwise take "last-run" for a task id.
  app.get(`${P}/jobs/:jobId/tasks/last-run`, async (c) => reply(c, await dispatch(c, 'GET', `${tasksPath(c)}/last-run`), { aliases: jobParams }));
  app.get(`${P}/jobs/:jobId/tasks/:taskId`, async (c) => reply(c, await dispatch(c, 'GET', taskPath(c)), { aliases: taskParams }));
  app.put(`${P}/jobs/:jobId/tasks/:taskId`, taskWrite('PUT', taskPath, taskParams));
  app.delete(`${P}/jobs/:jobId/tasks/:taskId`, async (c) => reply(c, await dispatch(c, 'DELETE', taskPath(c)), { aliases: taskParams }));
  app.get(`${P}/jobs/:jobId/tasks/:taskId/history`, async (c) => reply(c, await dispatch(c, 'GET', `${taskPath(c)}/history`), { aliases: taskParams }));

  app.post(`${P}/jobs/:jobId/tasks/:taskId/move`, async (c) => {
    const input = await readBody(c);
    const path = `${taskPath(c)}/move`;
    if (!isObject(input)) return reply(c, await dispatch(c, 'POST', path, input), { aliases: taskParams });
    const { body, aliases } = translateMoveBody(input);
    return reply(c, await dispatch(c, 'POST', path, body), { aliases: withParams(aliases, taskParams) });
  });

  documentAliases(app);
}

/** Lists every alias in /openapi.json, pointing at the native operation it stands for. */
function documentAliases(app: Router): void {
  const seen = new Set<string>();
  for (const route of app.routes) {
    // Plain `:name` paths only: the no-slash spelling of the seed's typo is served, not advertised.
    if (!route.path.startsWith(`${CDATA_PREFIX}/`) || !/^(GET|POST|PUT|DELETE)$/.test(route.method) || route.path.includes('{')) continue;
    const key = `${route.method} ${route.path}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const names = [...route.path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!);
    const native = `${NATIVE_PREFIX}${route.path.slice(CDATA_PREFIX.length)}`.replace(/:([A-Za-z]+)/g, '{$1}');
    app.openAPIRegistry.registerPath({
      method: route.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete',
      path: route.path.replace(/:([A-Za-z]+)/g, '{$1}'),
      tags: ['CData Sync compatibility'],
      summary: `CData Sync alias of ${route.method} ${native}`,
      description: 'Snake_case bodies and answers (source_connection_id, is_active, from_index, …), string ids accepted; otherwise the native operation.',
      ...(names.length > 0 ? { request: { params: z.object(Object.fromEntries(names.map((n) => [n, z.string().openapi({ param: { name: n, in: 'path' } })]))) } } : {}),
      responses: { default: { description: `As ${route.method} ${native}, with snake_case keys` } },
    });
  }
}
