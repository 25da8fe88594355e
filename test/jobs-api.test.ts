// Job routes of "Jobs and tasks": list, create, get, replace, delete (409 while running), execute
// with a task subset, status and history — each with its 400/404/409 answers.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createHttpToPostgresJob, type HttpToPostgresJob } from './helpers/fixtures';
import { generateRecords, startSourceServer, type SourceServer } from './helpers/source-server';
import { call, startTestStack, waitForRun, type TestStack } from './helpers/stack';

describe('API: jobs', () => {
  let stack: TestStack;
  let source: SourceServer;
  let job: HttpToPostgresJob;
  let connections: { sourceConnectionId: number; destinationConnectionId: number };

  before(async () => {
    [stack, source] = await Promise.all([startTestStack(), startSourceServer({ records: generateRecords(1_000) })]);
    job = await createHttpToPostgresJob(stack.app, { sourceUrl: source.url, database: stack.database, batchSize: 100 });
    const current = (await call(stack.app, 'GET', `/api/v1/jobs/${job.jobId}`)).body;
    connections = { sourceConnectionId: current.sourceConnectionId, destinationConnectionId: current.destinationConnectionId };
  });

  after(async () => {
    await Promise.allSettled([stack?.stop(), source?.close()]);
  });

  const fullBody = {
    name: 'nightly accounts',
    type: 'Standard',
    schedule: { enabled: false, cron: '0 2 * * *' },
    sendEmail: true,
    emailTo: ['ops@example.com'],
    emailSubject: 'sync',
    emailErrorOnly: true,
    enableParallelProcessing: true,
    workerPool: 4,
    verbosity: 2,
    destinationSchema: 'analytics',
    tableNamePrefix: 'crm_',
    useGmtDateTime: true,
    historyMode: false,
    truncateTableData: false,
    dropTable: false,
    autoTruncateStrings: true,
    continueOnError: true,
    deletionBehavior: 'SoftDelete',
    alterSchema: true,
    replicateInterval: 1,
    replicateIntervalUnit: 'Days',
    replicateStartDate: '2026-01-01',
    batchSize: 250,
    preJobEvent: 'echo pre',
    postJobEvent: 'echo post',
    labels: ['crm', 'nightly'],
    pipelineId: 'p-1',
  };

  test('create returns the whole body; list pages; get answers it; 404 and 400 for bad ids', async () => {
    const created = await call(stack.app, 'POST', `/api/v1/workspaces/${job.workspaceId}/jobs`, { ...fullBody, ...connections });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    for (const [key, value] of Object.entries(fullBody)) assert.deepEqual(created.body[key], value, key);
    assert.equal(created.body.paused, false);

    const got = await call(stack.app, 'GET', `/api/v1/jobs/${created.body.id}`);
    assert.deepEqual(got.body, created.body);
    const page = await call(stack.app, 'GET', `/api/v1/workspaces/${job.workspaceId}/jobs?limit=1`);
    assert.equal(page.status, 200);
    assert.equal(page.body.items.length, 1);
    const next = await call(stack.app, 'GET', `/api/v1/workspaces/${job.workspaceId}/jobs?limit=1&cursor=${page.body.nextCursor}`);
    assert.equal(next.body.items[0].id, created.body.id);
    assert.equal((await call(stack.app, 'GET', '/api/v1/workspaces/999999/jobs')).status, 404);
    assert.equal((await call(stack.app, 'GET', '/api/v1/jobs/999999')).status, 404);
    assert.equal((await call(stack.app, 'GET', '/api/v1/jobs/x')).status, 400);
    await call(stack.app, 'DELETE', `/api/v1/jobs/${created.body.id}`);
  });

  test('a cron the scheduler cannot read answers 400 naming schedule.cron', async () => {
    const res = await call(stack.app, 'POST', `/api/v1/workspaces/${job.workspaceId}/jobs`, { name: 'x', ...connections, schedule: { enabled: false, cron: '61 * * * *' } });
    assert.equal(res.status, 400);
    assert.equal(res.body.errors[0].path, 'schedule.cron');
    assert.match(res.body.errors[0].message, /minute field "61": 61 is outside 0-59/);
  });

  test('PUT replaces the job; 422 names a bad field; 404 for an unknown job', async () => {
    const created = (await call(stack.app, 'POST', `/api/v1/workspaces/${job.workspaceId}/jobs`, { name: 'to replace', ...connections, labels: ['old'] })).body;
    const replaced = await call(stack.app, 'PUT', `/api/v1/jobs/${created.id}`, { name: 'replaced', ...connections, batchSize: 50, continueOnError: true });
    assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
    assert.equal(replaced.body.name, 'replaced');
    assert.equal(replaced.body.batchSize, 50);
    assert.equal(replaced.body.continueOnError, true);
    assert.equal(replaced.body.labels, undefined, 'PUT replaces: options not given are gone');
    assert.ok(new Date(replaced.body.updatedAt) >= new Date(created.updatedAt));

    const bad = await call(stack.app, 'PUT', `/api/v1/jobs/${created.id}`, { name: 'x', ...connections, workerPool: 0 });
    assert.equal(bad.status, 422);
    assert.equal(bad.body.errors[0].path, 'workerPool');
    const badConnection = await call(stack.app, 'PUT', `/api/v1/jobs/${created.id}`, { name: 'x', ...connections, sourceConnectionId: 999999 });
    assert.equal(badConnection.status, 422);
    assert.equal(badConnection.body.errors[0].path, 'sourceConnectionId');
    assert.equal((await call(stack.app, 'PUT', '/api/v1/jobs/999999', { name: 'x', ...connections })).status, 404);
    assert.equal((await call(stack.app, 'PUT', `/api/v1/jobs/${created.id}`, '{"name":')).status, 400);

    const deleted = await call(stack.app, 'DELETE', `/api/v1/jobs/${created.id}`);
    assert.equal(deleted.status, 204);
    assert.equal((await call(stack.app, 'GET', `/api/v1/jobs/${created.id}`)).status, 404);
    assert.equal((await call(stack.app, 'DELETE', `/api/v1/jobs/${created.id}`)).status, 404);
    assert.equal((await call(stack.app, 'DELETE', '/api/v1/jobs/zero')).status, 400);
  });

  test('execute with a task subset runs only those tasks; an unknown or inactive task is a 400 naming it', async () => {
    const second = await call(stack.app, 'POST', `/api/v1/jobs/${job.jobId}/tasks`, { sourceEntity: '/records', targetEntity: 'accounts_copy', resultsPosition: 'data.items' });
    assert.equal(second.status, 201, JSON.stringify(second.body));
    const inactive = await call(stack.app, 'POST', `/api/v1/jobs/${job.jobId}/tasks`, { sourceEntity: '/records', targetEntity: 'accounts_off', resultsPosition: 'data.items', isActive: false });

    const unknown = await call(stack.app, 'POST', `/api/v1/jobs/${job.jobId}/execute`, { tasks: [second.body.id, 999999] });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.errors[0].path, 'tasks.1');
    assert.match(unknown.body.detail, /999999/);
    const off = await call(stack.app, 'POST', `/api/v1/jobs/${job.jobId}/execute`, { tasks: [inactive.body.id] });
    assert.equal(off.status, 400);
    assert.match(off.body.detail, new RegExp(String(inactive.body.id)));
    assert.equal((await call(stack.app, 'POST', `/api/v1/jobs/${job.jobId}/execute`, { tasks: 'all' })).status, 422);

    const started = await call(stack.app, 'POST', `/api/v1/jobs/${job.jobId}/execute`, { tasks: [second.body.id] });
    assert.equal(started.status, 202);
    const run = await waitForRun(stack.app, started.body.runId);
    assert.equal(run.state, 'SUCCEEDED', JSON.stringify(run.errors));
    assert.deepEqual(run.entityRuns.map((e: { taskId: number }) => e.taskId), [second.body.id]);
    assert.equal(run.entityRuns[0].newRecordCount, '1000');
    const [copy] = await stack.database.sql<{ n: number }[]>`select count(*)::int as n from warehouse.accounts_copy`;
    assert.equal(copy!.n, 1_000);
    const [original] = await stack.database.sql<{ exists: boolean }[]>`select to_regclass('warehouse.accounts') is not null as exists`;
    assert.equal(original!.exists, false, 'the task left out wrote nothing');
    await call(stack.app, 'DELETE', `/api/v1/jobs/${job.jobId}/tasks/${inactive.body.id}`);
  });

  test('PUT and DELETE answer 409 naming the run while the job runs; status and history follow the run', async () => {
    source.delayMs = 40;
    const started = await call(stack.app, 'POST', `/api/v1/jobs/${job.jobId}/execute`);
    assert.equal(started.status, 202);
    const { runId } = started.body;

    const put = await call(stack.app, 'PUT', `/api/v1/jobs/${job.jobId}`, { name: 'renamed', ...connections });
    assert.equal(put.status, 409, JSON.stringify(put.body));
    assert.equal(put.body.runId, runId);
    const del = await call(stack.app, 'DELETE', `/api/v1/jobs/${job.jobId}`);
    assert.equal(del.status, 409);
    assert.match(del.body.detail, new RegExp(runId));
    const status = await call(stack.app, 'GET', `/api/v1/jobs/${job.jobId}/status`);
    assert.equal(status.body.running, true);
    assert.equal(status.body.run.id, runId);

    const run = await waitForRun(stack.app, runId);
    source.delayMs = 0;
    assert.equal(run.state, 'SUCCEEDED', JSON.stringify(run.errors));
    const history = await call(stack.app, 'GET', `/api/v1/jobs/${job.jobId}/history`);
    assert.equal(history.body.items[0].id, runId);
    assert.equal((await call(stack.app, 'GET', `/api/v1/jobs/${job.jobId}/history?cursor=%%%`)).status, 400);
    assert.equal((await call(stack.app, 'PUT', `/api/v1/jobs/${job.jobId}`, { name: 'renamed', ...connections, batchSize: 100 })).status, 200);
  });
});
