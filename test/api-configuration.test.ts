// The configuration routes and the API's error contract: problem+json with a code from the closed
// list, 404 for unknown ids, 400/422 naming the field, secrets never echoed, keyset-paged lists.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, startTestStack, type TestStack } from './helpers/stack';

describe('API: configuration routes and errors', () => {
  let stack: TestStack;
  let workspaceId: number;
  let sourceId: number;
  let destinationId: number;

  before(async () => {
    stack = await startTestStack();
    workspaceId = (await call(stack.app, 'POST', '/api/v1/workspaces', { name: 'errors' })).body.id;
    const source = await call(stack.app, 'POST', '/api/v1/synchronisation/connected-systems', {
      workspaceId,
      name: 'api',
      connectorType: 'http-json',
      config: { baseUrl: 'http://127.0.0.1:9/', auth: { type: 'bearer' } },
      secrets: { token: 'super-secret-token' },
    });
    sourceId = source.body.id;
    const destination = await call(stack.app, 'POST', '/api/v1/synchronisation/connected-systems', {
      workspaceId,
      name: 'db',
      connectorType: 'postgres',
      config: stack.database.connection,
      secrets: { password: 'hunter2' },
    });
    destinationId = destination.body.id;
  });

  after(async () => {
    await stack?.stop();
  });

  const assertProblem = (res: { status: number; body: any; headers: Headers }, status: number, code: string) => {
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    assert.equal(res.body.code, code);
    assert.equal(res.body.status, status);
    assert.equal(typeof res.body.detail, 'string');
    assert.equal(typeof res.body.requestId, 'string');
    assert.ok(res.body.requestId.length > 0);
  };

  test('unknown ids answer 404', async () => {
    assertProblem(await call(stack.app, 'POST', '/api/v1/jobs/999999/execute'), 404, 'NOT_FOUND');
    assertProblem(await call(stack.app, 'GET', '/api/v1/jobs/999999'), 404, 'NOT_FOUND');
    assertProblem(await call(stack.app, 'GET', '/api/v1/jobs/999999/status'), 404, 'NOT_FOUND');
    assertProblem(await call(stack.app, 'GET', '/api/v1/jobs/999999/history'), 404, 'NOT_FOUND');
    assertProblem(await call(stack.app, 'GET', '/api/v1/runs/00000000-0000-4000-8000-000000000000'), 404, 'NOT_FOUND');
    assertProblem(await call(stack.app, 'GET', '/api/v1/runs/not-a-run'), 404, 'NOT_FOUND');
    assertProblem(await call(stack.app, 'GET', '/api/v1/workspaces/999999'), 404, 'NOT_FOUND');
    assertProblem(await call(stack.app, 'POST', '/api/v1/workspaces/999999/jobs', { name: 'x', sourceConnectionId: sourceId, destinationConnectionId: destinationId }), 404, 'NOT_FOUND');
    assertProblem(await call(stack.app, 'GET', '/api/v1/no-such-route'), 404, 'NOT_FOUND');
  });

  test('a job body with a bad field answers 422 naming it', async () => {
    const base = { name: 'job', sourceConnectionId: sourceId, destinationConnectionId: destinationId };
    const cases: [unknown, string][] = [
      [{ ...base, batchSize: 0 }, 'batchSize'],
      [{ ...base, batchSize: 'many' }, 'batchSize'],
      [{ ...base, type: 'Sometimes' }, 'type'],
      [{ ...base, deletionBehavior: 'Shred' }, 'deletionBehavior'],
      [{ ...base, emailTo: ['not-an-email'] }, 'emailTo.0'],
      [{ ...base, name: '' }, 'name'],
      [{ ...base, sourceConnectionId: undefined }, 'sourceConnectionId'],
      [{ ...base, colour: 'blue' }, '(body)'],
      [{ ...base, sourceConnectionId: 424242 }, 'sourceConnectionId'],
      [{ ...base, destinationConnectionId: sourceId }, 'destinationConnectionId'],
    ];
    for (const [body, field] of cases) {
      const res = await call(stack.app, 'POST', `/api/v1/workspaces/${workspaceId}/jobs`, body);
      assertProblem(res, 422, 'VALIDATION_ERROR');
      const paths = res.body.errors.map((e: { path: string }) => e.path);
      assert.ok(paths.includes(field) || (field === '(body)' && res.body.detail.includes('colour')), `${JSON.stringify(body)} → ${JSON.stringify(res.body.errors)}`);
    }
  });

  test('malformed JSON and bad path parameters answer 400', async () => {
    assertProblem(await call(stack.app, 'POST', `/api/v1/workspaces/${workspaceId}/jobs`, '{"name": '), 400, 'BAD_REQUEST');
    const badId = await call(stack.app, 'GET', '/api/v1/jobs/abc');
    assertProblem(badId, 400, 'BAD_REQUEST');
    assert.equal(badId.body.errors[0].path, 'jobId');
  });

  test('connected system config is validated per connector type and names the field', async () => {
    const res = await call(stack.app, 'POST', '/api/v1/synchronisation/connected-systems', {
      workspaceId,
      name: 'bad',
      connectorType: 'http-json',
      config: { baseUrl: 'not a url' },
    });
    assertProblem(res, 422, 'VALIDATION_ERROR');
    assert.deepEqual(res.body.errors.map((e: { path: string }) => e.path), ['config.baseUrl']);
    const unknownWorkspace = await call(stack.app, 'POST', '/api/v1/synchronisation/connected-systems', {
      workspaceId: 987654,
      name: 'x',
      connectorType: 'postgres',
      config: stack.database.connection,
    });
    assertProblem(unknownWorkspace, 422, 'VALIDATION_ERROR');
    assert.equal(unknownWorkspace.body.errors[0].path, 'workspaceId');
  });

  test('secrets are write-only: masked in responses, stored encrypted', async () => {
    const got = await call(stack.app, 'GET', `/api/v1/synchronisation/connected-systems/${sourceId}`);
    assert.equal(got.status, 200);
    assert.deepEqual(got.body.secrets, { token: '********' });
    const listed = await call(stack.app, 'GET', `/api/v1/synchronisation/connected-systems?workspaceId=${workspaceId}`);
    const text = JSON.stringify(listed.body);
    assert.ok(!text.includes('super-secret-token') && !text.includes('hunter2'));
    const [stored] = await stack.database.sql<{ secrets_ciphertext: string }[]>`select secrets_ciphertext from connected_systems where id = ${sourceId}`;
    assert.ok(stored && !stored.secrets_ciphertext.includes('super-secret-token'));
  });

  test('a mapping rule the engine cannot run answers 422 naming the rule', async () => {
    const res = await call(stack.app, 'POST', '/api/v1/mappings', { workspaceId, name: 'm', mapping: { total: '=$sum(items.price' } });
    assertProblem(res, 422, 'VALIDATION_ERROR');
    assert.equal(res.body.errors[0].path, 'mapping.total');
  });

  test('a task naming an unknown mapping, or an unusable table name, answers 422 naming the field', async () => {
    const job = await call(stack.app, 'POST', `/api/v1/workspaces/${workspaceId}/jobs`, { name: 'j', sourceConnectionId: sourceId, destinationConnectionId: destinationId });
    assert.equal(job.status, 201);
    const unknownMapping = await call(stack.app, 'POST', `/api/v1/jobs/${job.body.id}/tasks`, { sourceEntity: '/x', targetEntity: 'x', mappingId: 5555 });
    assertProblem(unknownMapping, 422, 'VALIDATION_ERROR');
    assert.equal(unknownMapping.body.errors[0].path, 'mappingId');
    const badTable = await call(stack.app, 'POST', `/api/v1/jobs/${job.body.id}/tasks`, { sourceEntity: '/x', targetEntity: 'drop table; --' });
    assertProblem(badTable, 422, 'VALIDATION_ERROR');
    assert.equal(badTable.body.errors[0].path, 'targetEntity');
    // A job without an active task cannot run.
    assertProblem(await call(stack.app, 'POST', `/api/v1/jobs/${job.body.id}/execute`), 422, 'VALIDATION_ERROR');
    // Tasks keep dense indexes; a task inserted at 0 moves the others down.
    await call(stack.app, 'POST', `/api/v1/jobs/${job.body.id}/tasks`, { sourceEntity: '/a', targetEntity: 'a' });
    await call(stack.app, 'POST', `/api/v1/jobs/${job.body.id}/tasks`, { sourceEntity: '/b', targetEntity: 'b', index: 0 });
    const tasks = await call(stack.app, 'GET', `/api/v1/jobs/${job.body.id}/tasks`);
    assert.deepEqual(tasks.body.items.map((t: { targetEntity: string; index: number }) => [t.targetEntity, t.index]), [['b', 0], ['a', 1]]);
    // Executing a task that is not one of the job's answers 400 naming it.
    const wrongTask = await call(stack.app, 'POST', `/api/v1/jobs/${job.body.id}/execute`, { tasks: [999999] });
    assertProblem(wrongTask, 400, 'BAD_REQUEST');
    assert.equal(wrongTask.body.errors[0].path, 'tasks.0');
  });

  test('lists are keyset-paged with limit and cursor, and a bad cursor answers 400', async () => {
    for (const name of ['w1', 'w2', 'w3']) await call(stack.app, 'POST', '/api/v1/workspaces', { name });
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await call(stack.app, 'GET', `/api/v1/workspaces?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(page.status, 200);
      assert.ok(page.body.items.length <= 2);
      seen.push(...page.body.items.map((w: { id: number }) => w.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, [...seen].sort((a, b) => a - b));
    assert.equal(new Set(seen).size, seen.length);
    assert.ok(seen.length >= 4);
    assertProblem(await call(stack.app, 'GET', '/api/v1/workspaces?cursor=%%%'), 400, 'BAD_REQUEST');
    assertProblem(await call(stack.app, 'GET', '/api/v1/workspaces?limit=501'), 400, 'BAD_REQUEST');
    const systems = await call(stack.app, 'GET', `/api/v1/synchronisation/connected-systems?workspaceId=${workspaceId}&limit=1`);
    assert.equal(systems.body.items.length, 1);
    assert.ok(systems.body.nextCursor);
    const jobs = await call(stack.app, 'GET', `/api/v1/workspaces/${workspaceId}/jobs`);
    assert.equal(jobs.status, 200);
    assert.ok(jobs.body.items.every((j: { workspaceId: number }) => j.workspaceId === workspaceId));
  });
});
