// The real stack for end-to-end tests: a Temporal dev server on free ports, a fresh PostgreSQL
import './quiet-runtime';
// database, a Syncline worker on its own task queue, and the API app (called with app.request()).
import { randomBytes } from 'node:crypto';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker, WorkflowBundle } from '@temporalio/worker';
import { ConnectionPools } from '../../activities/connectors/postgres-destination';
import { createApp, type AppDeps, type Router } from '../../api/app';
import { createSecretBox } from '../../db/secrets';
import { resolveTemporalCli } from '../../scripts/temporal-cli';
import { SEARCH_ATTRIBUTE_KEYS } from '../../workflows/search-attributes';
import { bundleWorkflows, createSynclineWorker } from '../../worker/create-worker';
import { createTestDatabase, type TestDatabase } from './database';

export interface TestStack {
  app: Router;
  deps: AppDeps;
  env: TestWorkflowEnvironment;
  database: TestDatabase;
  taskQueue: string;
  stop(): Promise<void>;
}

let bundle: Promise<WorkflowBundle> | undefined;

/** The workflow bundle every test worker in this process shares (also for replaying histories). */
export function testWorkflowBundle(): Promise<WorkflowBundle> {
  bundle ??= bundleWorkflows();
  return bundle;
}

export async function startTemporal(): Promise<TestWorkflowEnvironment> {
  const cli = await resolveTemporalCli();
  return TestWorkflowEnvironment.createLocal({
    server: {
      ...(cli ? { executable: { type: 'existing-path' as const, path: cli } } : {}),
      searchAttributes: SEARCH_ATTRIBUTE_KEYS,
    },
  });
}

export async function startTestStack(): Promise<TestStack> {
  const [env, database, workflowBundle] = await Promise.all([startTemporal(), createTestDatabase(), testWorkflowBundle()]);
  const taskQueue = `syncline-test-${randomBytes(4).toString('hex')}`;
  const secretBox = createSecretBox('test-secret-key-0123456789');
  const pools = new ConnectionPools();
  const worker: Worker = await createSynclineWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    deps: { database, secretBox, pools, temporal: env.client },
    workflowBundle,
  });
  const running = worker.run();
  const deps: AppDeps = { db: database.db, temporal: { client: env.client, taskQueue }, secretBox, log: () => {} };
  const app = createApp(deps);
  return {
    app,
    deps,
    env,
    database,
    taskQueue,
    async stop() {
      worker.shutdown();
      await running.catch(() => {});
      await pools.closeAll();
      await env.teardown();
      await database.drop();
    },
  };
}

/**
 * The API app over a test database alone, for routes that never reach Temporal: its client
 * connects lazily, so it never does. `close` ends the client, not the database.
 */
export function databaseOnlyApp(database: TestDatabase): { app: Router; close(): Promise<void> } {
  const client = new Client();
  const app = createApp({ db: database.db, temporal: { client, taskQueue: 'database-only' }, secretBox: createSecretBox('test-secret-key-0123456789'), log: () => {} });
  return { app, close: () => client.connection.close().catch(() => {}) };
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** Calls the app like an HTTP client would. */
export async function call<T = any>(app: Router, method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
  const res = await app.request(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/** Polls GET /runs/{id} until the run leaves PENDING/RUNNING (or `until` holds). */
export async function waitForRun(app: Router, runId: string, opts: { timeoutMs?: number; until?: (run: any) => boolean } = {}): Promise<any> {
  const until = opts.until ?? ((run: any) => !['PENDING', 'RUNNING', 'OVERRUN'].includes(run.state));
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    const { status, body } = await call(app, 'GET', `/api/v1/runs/${runId}`);
    if (status !== 200) throw new Error(`GET run ${runId} answered ${status}: ${JSON.stringify(body)}`);
    if (until(body)) return body;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${body.state} after ${opts.timeoutMs ?? 60_000} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every item of a keyset-paged list (`path` already has its query, limit included), page by page until nextCursor is null. */
export async function readEveryPage<T = any>(app: Router, path: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const page: ApiResponse<{ items: T[]; nextCursor: string | null }> = await call(app, 'GET', `${path}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (page.status !== 200) throw new Error(`GET ${path} answered ${page.status}: ${JSON.stringify(page.body)}`);
    items.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return items;
}
