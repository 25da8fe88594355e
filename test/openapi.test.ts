// The OpenAPI document: valid OpenAPI 3.1 (checked against the official schema), listing every
// route the app serves under /api/v1 and /api.rsc/v2, and browsable at /docs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { Router } from '../api/app';
import { createTestDatabase, type TestDatabase } from './helpers/database';
import { databaseOnlyApp } from './helpers/stack';

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

describe('OpenAPI document', () => {
  let database: TestDatabase;
  let app: Router;
  let close: () => Promise<void>;

  before(async () => {
    database = await createTestDatabase();
    // Serving the document never reaches Temporal.
    ({ app, close } = databaseOnlyApp(database));
  });

  after(async () => {
    await close?.();
    await database?.drop();
  });

  test('/openapi.json validates as OpenAPI 3.1 and lists every /api/v1 and /api.rsc/v2 route', async () => {
    const res = await app.request('/openapi.json');
    assert.equal(res.status, 200);
    const document = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    assert.match(document.openapi, /^3\.1\./);

    const validator = new Validator();
    const result = await validator.validate(document);
    assert.equal(validator.version, '3.1');
    assert.ok(result.valid, JSON.stringify(result.errors, null, 2));

    const documented = new Set(Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`)));
    const served = new Set(
      app.routes
        // The no-slash spelling of the CData seed's typo (a regex path) is served, not advertised.
        .filter((route) => METHODS.has(route.method) && /^\/api(\/v1|\.rsc\/v2)\//.test(route.path) && !route.path.includes('{'))
        .map((route) => `${route.method} ${route.path.replace(/:([A-Za-z]+)/g, '{$1}')}`),
    );
    assert.ok(served.size > 40, `served routes: ${served.size}`);
    const undocumented = [...served].filter((route) => !documented.has(route));
    assert.deepEqual(undocumented, []);
    for (const route of ['POST /api.rsc/v2/jobs/{jobId}/tasks/{taskId}/move', 'POST /api/v1/jobs/{jobId}/cancel', 'POST /api/v1/jobs/{jobId}/pause', 'GET /api/v1/runs/{runId}/events', 'POST /api/v1/jobs/{jobId}/tasks/{taskId}/move']) {
      assert.ok(documented.has(route), `${route} documented`);
    }
  });

  test('/docs serves a browsable page for the document', async () => {
    const res = await app.request('/docs');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    const html = await res.text();
    assert.match(html, /swagger/i);
    assert.match(html, /\/openapi\.json/);
  });
});
