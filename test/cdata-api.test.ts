// The CData Sync V2 routes under /api.rsc/v2 against the real stack: every example request of the
// seed page sent verbatim (two of them are not valid JSON as printed), snake_case answers, the
// native handlers' validation and conflicts with field paths spelled as sent, and a real run
// started with string task ids.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createApp } from '../api/app';
import { SEED_EXECUTE, SEED_UPDATE_JOB } from './helpers/cdata-seeds';
import { generateRecords, startSourceServer, type SourceServer } from './helpers/source-server';
import { call, startTestStack, type ApiResponse, type TestStack } from './helpers/stack';

// The seed's example requests, character for character.
const SEED_CREATE_JOB = `{
"name": "ReverseETLJob",
"type": "ReverseETL",
"source_connection_id": "550e8400-e29b-41d4-a716-446655440000",
"destination_connection_id": "550e8400-e29b-41d4-a716-446655440220"
}`;
const SEED_ADD_TASK = `{
"query": "REPLICATE [Accounts] SELECT * FROM [Accounts]",
"is_active": true
}`;
const SEED_UPDATE_TASK = `{
"query": "REPLICATE [Accounts] SELECT * FROM [Accounts]",
"is_active": true,
"index": 1
}`;
const SEED_MOVE_TASK = `{
"from_index": 0,
"to_index": 1
}`;

const SOURCE_UUID = '550e8400-e29b-41d4-a716-446655440000';
const DESTINATION_UUID = '550e8400-e29b-41d4-a716-446655440220';
const V2 = '/api.rsc/v2';
const RECORDS = 120;

/** Every key at any depth is snake_case (no capitals). */
function assertSnake(value: unknown, where = '$'): void {
  if (Array.isArray(value)) return value.forEach((v, i) => assertSnake(v, `${where}[${i}]`));
  if (typeof value !== 'object' || value === null) return;
  for (const [key, v] of Object.entries(value)) {
    assert.match(key, /^[a-z0-9_]+$/, `${where}.${key} is not snake_case`);
    assertSnake(v, `${where}.${key}`);
  }
}

function assertProblem(res: ApiResponse, status: number, code: string, path?: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.headers.get('content-type'), 'application/problem+json');
  assert.equal(res.body.code, code);
  if (path !== undefined) assert.ok(res.body.errors?.some((e: { path: string }) => e.path === path), JSON.stringify(res.body));
}

describe('CData-compatible routes under /api.rsc/v2', () => {
  let stack: TestStack;
  let source: SourceServer;
  let workspaceId: number;
  let sourceId: number;
  let destinationId: number;
  /** Created from the seed body; its tasks are configuration only (never executed). */
  let seedJobId: number;

  const v2 = <T = any>(method: string, path: string, body?: unknown) => call<T>(stack.app, method, `${V2}${path}`, body);

  before(async () => {
    [stack, source] = await Promise.all([startTestStack(), startSourceServer({ records: generateRecords(RECORDS) })]);
    const created = async (path: string, body: unknown) => {
      const res = await call(stack.app, 'POST', path, body);
      assert.equal(res.status, 201, `${path}: ${JSON.stringify(res.body)}`);
      return res.body.id as number;
    };
    workspaceId = await created('/api/v1/workspaces', { name: 'cdata workspace' });
    // The seed names its connections by UUID: connected systems with exactly those names.
    sourceId = await created('/api/v1/synchronisation/connected-systems', {
      workspaceId,
      name: SOURCE_UUID,
      connectorType: 'http-json',
      config: { baseUrl: source.url, pagination: { type: 'offset' }, totalPath: 'meta.total' },
    });
    destinationId = await created('/api/v1/synchronisation/connected-systems', {
      workspaceId,
      name: DESTINATION_UUID,
      connectorType: 'postgres',
      config: { ...stack.database.connection, schema: 'cdata' },
    });
  });

  after(async () => {
    await Promise.allSettled([stack?.stop(), source?.close()]);
  });

  test('create a job with the seed body: UUID connection ids resolve by name; the answer is snake_case', async () => {
    const res = await v2('POST', `/workspaces/${workspaceId}/jobs`, SEED_CREATE_JOB);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assertSnake(res.body);
    assert.equal(res.body.name, 'ReverseETLJob');
    assert.equal(res.body.type, 'ReverseETL');
    assert.equal(res.body.source_connection_id, sourceId);
    assert.equal(res.body.destination_connection_id, destinationId);
    assert.equal(res.body.workspace_id, workspaceId);
    assert.equal(res.body.batch_size, 100);
    seedJobId = res.body.id;
    // The same job as the native route sees it.
    const native = await call(stack.app, 'GET', `/api/v1/jobs/${seedJobId}`);
    assert.equal(native.body.sourceConnectionId, sourceId);
    assert.equal(native.body.name, 'ReverseETLJob');
  });

  test('create maps every documented spelling onto the native job fields', async () => {
    const res = await v2('POST', `/workspaces/${workspaceId}/jobs`, {
      Name: 'all options',
      Type: 'standard',
      'Source-Connection': { Id: 'not-ours', Name: SOURCE_UUID },
      destination_connection_id: String(destinationId),
      schedule: { enabled: false, cron: '0 * * * *' },
      Send_Email: true,
      Email_To: 'ops@example.org, data@example.org',
      email_subject: 'sync',
      EmailErrorOnly: true,
      enable_parallel_processing: 'True',
      worker_pool: 2,
      verbosity: 3,
      destination_schema: 'cdata',
      table_name_prefix: 'rep_',
      Use_GMT_DateTime: true,
      history_mode: false,
      truncate_table_data: false,
      drop_table: false,
      auto_truncate_strings: true,
      continue_on_error: true,
      deletion_behavior: 'harddelete',
      alter_schema: true,
      replicate_interval: 2,
      replicate_interval_unit: 'hours',
      replicate_start_date: '2024-01-31',
      batch_size: '250',
      pre_job_event: 'pre',
      post_job_event: 'post',
      labels: ['a', 'b'],
      'Pipeline Id': 'p-1',
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assertSnake(res.body);
    const job = res.body;
    assert.equal(job.type, 'Standard');
    assert.equal(job.source_connection_id, sourceId);
    assert.equal(job.destination_connection_id, destinationId);
    assert.deepEqual(job.schedule, { enabled: false, cron: '0 * * * *' });
    assert.deepEqual(job.email_to, ['ops@example.org', 'data@example.org']);
    assert.equal(job.email_error_only, true);
    assert.equal(job.enable_parallel_processing, true);
    assert.equal(job.use_gmt_date_time, true);
    assert.equal(job.deletion_behavior, 'HardDelete');
    assert.equal(job.replicate_interval_unit, 'Hours');
    assert.equal(job.replicate_start_date, '2024-01-31');
    assert.equal(job.batch_size, 250);
    assert.deepEqual(job.labels, ['a', 'b']);
    assert.equal(job.pipeline_id, 'p-1');

    // PUT is partial: the seed update (missing its last brace) renames and drops the schedule, the rest stays.
    const updated = await v2('PUT', `/jobs/${job.id}`, SEED_UPDATE_JOB);
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assertSnake(updated.body);
    assert.equal(updated.body.name, 'reverseETLJob');
    assert.equal(updated.body.schedule, undefined);
    assert.equal(updated.body.replicate_interval_unit, 'Hours');
    assert.equal(updated.body.batch_size, 250);
    assert.deepEqual(updated.body.email_to, ['ops@example.org', 'data@example.org']);
    assert.equal(updated.body.source_connection_id, sourceId);
    const native = await call(stack.app, 'GET', `/api/v1/jobs/${job.id}`);
    assert.equal(native.body.schedule, undefined);
    assert.equal(native.body.name, 'reverseETLJob');
  });

  test('unknown connections and invalid fields answer 422 naming the field as the client spelled it', async () => {
    const unknownName = await v2('POST', `/workspaces/${workspaceId}/jobs`, { name: 'x', source_connection_id: 'no-such-connection', destination_connection_id: DESTINATION_UUID });
    assertProblem(unknownName, 422, 'VALIDATION_ERROR', 'source_connection_id');
    assert.match(unknownName.body.detail, /^source_connection_id: .*no-such-connection/);

    const unknownId = await v2('POST', `/workspaces/${workspaceId}/jobs`, { name: 'x', source_connection_id: SOURCE_UUID, destination_connection_id: '99999' });
    assertProblem(unknownId, 422, 'VALIDATION_ERROR', 'destination_connection_id');

    const badUnit = await v2('POST', `/workspaces/${workspaceId}/jobs`, { name: 'x', source_connection_id: sourceId, destination_connection_id: destinationId, Replicate_Interval_Unit: 'fortnights' });
    assertProblem(badUnit, 422, 'VALIDATION_ERROR', 'Replicate_Interval_Unit');

    const twice = await v2('POST', `/workspaces/${workspaceId}/jobs`, { name: 'x', use_gmt_datetime: true, use_gmt_date_time: true });
    assertProblem(twice, 422, 'VALIDATION_ERROR', 'use_gmt_date_time');

    const unknownWorkspace = await v2('POST', '/workspaces/999999/jobs', SEED_CREATE_JOB);
    assertProblem(unknownWorkspace, 404, 'NOT_FOUND');

    // The cron goes to a Temporal Schedule: one it cannot read is a 400 naming the caller's key.
    const badCron = await v2('PUT', `/jobs/${seedJobId}`, { schedule: { Enabled: true, Cron: '61 * * * *' } });
    assertProblem(badCron, 400, 'BAD_REQUEST', 'schedule.Cron');

    const badBatch = await v2('PUT', `/jobs/${seedJobId}`, { batch_size: 0 });
    assertProblem(badBatch, 422, 'VALIDATION_ERROR', 'batch_size');
    assert.match(badBatch.body.detail, /^batch_size: /);
    // The native handler answered under the caller's request id.
    assert.ok(badBatch.body.requestId);
    assert.equal(badBatch.headers.get('x-request-id'), badBatch.body.requestId);

    const unknownKey = await v2('PUT', `/jobs/${seedJobId}`, { no_such_option: 1 });
    assertProblem(unknownKey, 422, 'VALIDATION_ERROR');
    assert.match(unknownKey.body.detail, /no_such_option/);

    const malformed = await v2('PUT', `/jobs/${seedJobId}`, "{'name': 'x'}");
    assertProblem(malformed, 400, 'BAD_REQUEST');
    assert.match(malformed.body.detail, /^Malformed JSON body: /);

    const badJobId = await v2('GET', '/jobs/abc/status');
    assertProblem(badJobId, 400, 'BAD_REQUEST', 'job_id');
  });

  test('list, get, and PUT/DELETE also at the documented `/jobs{job_id}` spelling', async () => {
    const list = await v2('GET', `/workspaces/${workspaceId}/jobs?limit=1`);
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assertSnake(list.body);
    assert.equal(list.body.items.length, 1);
    assert.equal(list.body.items[0].id, seedJobId);
    assert.equal(typeof list.body.next_cursor, 'string');

    const renamed = await v2('PUT', `/jobs${seedJobId}`, SEED_UPDATE_JOB);
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.equal(renamed.body.name, 'reverseETLJob');
    assert.equal(renamed.body.type, 'ReverseETL');
    const got = await v2('GET', `/jobs/${seedJobId}`);
    assert.equal(got.status, 200);
    assert.equal(got.body.name, 'reverseETLJob');
    assert.equal((await v2('GET', `/jobs${seedJobId}`)).body.id, seedJobId);

    const doomed = await v2('POST', `/workspaces/${workspaceId}/jobs`, { name: 'doomed', source_connection_id: sourceId, destination_connection_id: DESTINATION_UUID });
    assert.equal(doomed.status, 201, JSON.stringify(doomed.body));
    const deleted = await v2('DELETE', `/jobs${doomed.body.id}`);
    assert.equal(deleted.status, 204);
    assertProblem(await call(stack.app, 'GET', `/api/v1/jobs/${doomed.body.id}`), 404, 'NOT_FOUND');
    assertProblem(await v2('DELETE', `/jobs/${doomed.body.id}`), 404, 'NOT_FOUND');
  });

  test('tasks: add, update with index, move, get, list, last-run, history, delete — seed bodies verbatim', async () => {
    const added = await v2('POST', `/jobs/${seedJobId}/tasks`, SEED_ADD_TASK);
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assertSnake(added.body);
    assert.equal(added.body.is_active, true);
    assert.equal(added.body.job_id, seedJobId);
    assert.equal(added.body.source_entity, 'Accounts');
    assert.equal(added.body.target_entity, 'Accounts');
    assert.equal(added.body.index, 0);
    const accountsId: number = added.body.id;

    const contacts = await v2('POST', `/jobs/${seedJobId}/tasks`, { query: 'REPLICATE [Contacts] SELECT * FROM [Contacts]', Is_Active: 'false' });
    assert.equal(contacts.status, 201, JSON.stringify(contacts.body));
    assert.equal(contacts.body.is_active, false);
    assert.equal(contacts.body.index, 1);
    const contactsId: number = contacts.body.id;

    const updated = await v2('PUT', `/jobs/${seedJobId}/tasks/${accountsId}`, SEED_UPDATE_TASK);
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assertSnake(updated.body);
    assert.equal(updated.body.index, 1);
    const order = async () => ((await v2('GET', `/jobs/${seedJobId}/tasks`)).body.items as { id: number; index: number }[]).map((t) => [t.id, t.index]);
    assert.deepEqual(await order(), [[contactsId, 0], [accountsId, 1]]);

    const moved = await v2('POST', `/jobs/${seedJobId}/tasks/${contactsId}/move`, SEED_MOVE_TASK);
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assertSnake(moved.body);
    assert.deepEqual(moved.body.items.map((t: { id: number }) => t.id), [accountsId, contactsId]);
    const stale = await v2('POST', `/jobs/${seedJobId}/tasks/${contactsId}/move`, SEED_MOVE_TASK);
    assertProblem(stale, 422, 'VALIDATION_ERROR', 'from_index');
    assertProblem(await v2('POST', `/jobs/${seedJobId}/tasks/${contactsId}/move`, { from_index: 1, to_index: 7 }), 422, 'VALIDATION_ERROR', 'to_index');

    assertProblem(await v2('POST', `/jobs/${seedJobId}/tasks`, { query: 'SELECT 1', is_active: true }), 422, 'VALIDATION_ERROR', 'query');
    assertProblem(await v2('POST', `/jobs/${seedJobId}/tasks`, { is_active: true }), 422, 'VALIDATION_ERROR', 'source_entity');

    const list = await v2('GET', `/jobs/${seedJobId}/tasks`);
    assert.equal(list.status, 200);
    assertSnake(list.body);
    const one = await v2('GET', `/jobs/${seedJobId}/tasks/${contactsId}`);
    assert.equal(one.status, 200);
    assertSnake(one.body);
    assert.equal(one.body.query, 'REPLICATE [Contacts] SELECT * FROM [Contacts]');
    assertProblem(await v2('GET', `/jobs/${seedJobId}/tasks/999999`), 404, 'NOT_FOUND');
    assertProblem(await v2('GET', `/jobs/${seedJobId}/tasks/x`), 400, 'BAD_REQUEST', 'task_id');

    const lastRun = await v2('GET', `/jobs/${seedJobId}/tasks/last-run`);
    assert.equal(lastRun.status, 200, JSON.stringify(lastRun.body));
    assertSnake(lastRun.body);
    assert.deepEqual(lastRun.body.items, [
      { task_id: accountsId, index: 0, target_entity: 'Accounts', last_run: null },
      { task_id: contactsId, index: 1, target_entity: 'Contacts', last_run: null },
    ]);
    const history = await v2('GET', `/jobs/${seedJobId}/tasks/${accountsId}/history`);
    assert.equal(history.status, 200);
    assert.deepEqual(history.body, { items: [], next_cursor: null });

    assert.equal((await v2('DELETE', `/jobs/${seedJobId}/tasks/${contactsId}`)).status, 204);
    assertProblem(await v2('GET', `/jobs/${seedJobId}/tasks/${contactsId}`), 404, 'NOT_FOUND');
    assert.deepEqual(await order(), [[accountsId, 0]]);
  });

  test('execute with the seed body answers the native 400 naming the unknown task as sent; cancel with nothing running is 409', async () => {
    const seed = await v2('POST', `/jobs/${seedJobId}/execute`, SEED_EXECUTE);
    assertProblem(seed, 400, 'BAD_REQUEST', 'tasks.0');
    assert.match(seed.body.detail, /^tasks\.0: task 870237973789151200 is not an active task of job \d+$/);
    assert.match(seed.body.errors[0].message, /870237973789151200/);

    const taskId = (await v2('GET', `/jobs/${seedJobId}/tasks`)).body.items[0].id as number;
    const second = await v2('POST', `/jobs/${seedJobId}/execute`, `{ tasks: ["${taskId}", "999999"] }`);
    assertProblem(second, 400, 'BAD_REQUEST', 'tasks.1');
    assert.match(second.body.detail, /task 999999 is not an active task/);

    const lateHuge = await v2('POST', `/jobs/${seedJobId}/execute`, `{ tasks: ["${taskId}", "99999999999999999999"] }`);
    assertProblem(lateHuge, 400, 'BAD_REQUEST', 'tasks.1');
    assert.match(lateHuge.body.detail, /task 99999999999999999999 is not/);

    assertProblem(await v2('POST', `/jobs/${seedJobId}/execute`, '{ tasks: ["1", }'), 400, 'BAD_REQUEST');
    assertProblem(await v2('POST', `/jobs/${seedJobId}/execute`, { tasks: ['abc'] }), 422, 'VALIDATION_ERROR', 'tasks.0');

    const cancel = await v2('POST', `/jobs/${seedJobId}/cancel`);
    assertProblem(cancel, 409, 'CONFLICT');
    const status = await v2('GET', `/jobs/${seedJobId}/status`);
    assert.equal(status.status, 200);
    assert.deepEqual(status.body, { job_id: seedJobId, running: false, run: null });
  });

  test('a job created with queries runs its tasks by string id, seen through status and the histories', async () => {
    // A refused query undoes the job: nothing is left behind.
    const before = (await v2('GET', `/workspaces/${workspaceId}/jobs?limit=500`)).body.items.length;
    const refused = await v2('POST', `/workspaces/${workspaceId}/jobs`, {
      name: 'bad queries',
      source_connection_id: SOURCE_UUID,
      destination_connection_id: DESTINATION_UUID,
      queries: ['REPLICATE [ok] SELECT * FROM [/records-offset]', 'REPLICATE nothing'],
    });
    assertProblem(refused, 422, 'VALIDATION_ERROR', 'queries.1');
    assert.equal((await v2('GET', `/workspaces/${workspaceId}/jobs?limit=500`)).body.items.length, before);

    const created = await v2('POST', `/workspaces/${workspaceId}/jobs`, {
      name: 'accounts by query',
      source_connection_id: SOURCE_UUID,
      destination_connection_id: String(destinationId),
      batch_size: 50,
      queries: ['REPLICATE [people] SELECT id, name, score FROM [/records-offset]', "REPLICATE [vips] SELECT id, name FROM [/records-offset] WHERE score > 500"],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assertSnake(created.body);
    const jobId: number = created.body.id;
    assert.deepEqual(created.body.tasks.map((t: { target_entity: string; index: number }) => [t.target_entity, t.index]), [['people', 0], ['vips', 1]]);
    const [people, vips] = created.body.tasks.map((t: { id: number }) => t.id) as [number, number];

    // The seed's spelling: a bare key and string ids.
    const started = await v2('POST', `/jobs/${jobId}/execute`, `{\ntasks:[\n"${people}",\n"${vips}"\n]\n}`);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assertSnake(started.body);
    const runId: string = started.body.run_id;
    assert.ok(runId);
    assert.equal(started.headers.get('location'), `/api/v1/runs/${runId}`);

    let run: any;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const res = await v2('GET', `/jobs/${jobId}/history/${runId}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      run = res.body;
      if (!['PENDING', 'RUNNING', 'OVERRUN'].includes(run.state)) break;
      assert.ok(Date.now() < deadline, `run still ${run.state}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assertSnake(run);
    assert.equal(run.state, 'SUCCEEDED', JSON.stringify(run.errors));
    assert.equal(run.job_id, jobId);
    const entity = (taskId: number) => run.entity_runs.find((e: { task_id: number }) => e.task_id === taskId);
    assert.equal(entity(people).extracted_record_count, String(RECORDS));
    assert.equal(entity(people).new_record_count, String(RECORDS));
    const expectedVips = source.records.filter((r) => Number(r.score) > 500).length;
    const [count] = await stack.database.sql<{ n: string }[]>`select count(*)::text as n from cdata.vips`;
    assert.equal(Number(count?.n), expectedVips);
    assert.ok(expectedVips > 0 && expectedVips < RECORDS, String(expectedVips));

    const status = await v2('GET', `/jobs/${jobId}/status`);
    assert.equal(status.status, 200);
    assertSnake(status.body);
    assert.equal(status.body.running, false);
    assert.equal(status.body.run.id, runId);

    const history = await v2('GET', `/jobs/${jobId}/history`);
    assert.equal(history.status, 200);
    assertSnake(history.body);
    assert.deepEqual(history.body.items.map((r: { id: string }) => r.id), [runId]);
    assert.equal(history.body.next_cursor, null);
    assertProblem(await v2('GET', `/jobs/${jobId}/history/00000000-0000-4000-8000-000000000000`), 404, 'NOT_FOUND');

    const lastRun = await v2('GET', `/jobs/${jobId}/tasks/last-run`);
    assertSnake(lastRun.body);
    assert.deepEqual(lastRun.body.items.map((t: { task_id: number; last_run: { run_id: string; state: string } }) => [t.task_id, t.last_run.run_id, t.last_run.state]), [
      [people, runId, 'SUCCEEDED'],
      [vips, runId, 'SUCCEEDED'],
    ]);
    const taskHistory = await v2('GET', `/jobs/${jobId}/tasks/${vips}/history`);
    assertSnake(taskHistory.body);
    assert.deepEqual(taskHistory.body.items.map((e: { run_id: string }) => e.run_id), [runId]);

    assertProblem(await v2('POST', `/jobs/${jobId}/cancel`), 409, 'CONFLICT');

    // Pause and resume (native routes beyond the seed page) are aliased too: resuming a paused job
    // with no run in flight starts a RESUME run.
    const paused = await v2('POST', `/jobs/${jobId}/pause`);
    assert.equal(paused.status, 202, JSON.stringify(paused.body));
    assert.deepEqual({ ...paused.body, message: undefined }, { job_id: jobId, paused: true, run_id: null, message: undefined });
    const resumed = await v2('POST', `/jobs/${jobId}/resume`);
    assert.equal(resumed.status, 202, JSON.stringify(resumed.body));
    assert.equal(resumed.body.paused, false);
    const resumeRunId: string = resumed.body.run_id;
    for (;;) {
      const res = await v2('GET', `/jobs/${jobId}/history/${resumeRunId}`);
      if (!['PENDING', 'RUNNING', 'OVERRUN'].includes(res.body.state)) {
        assert.equal(res.body.state, 'SUCCEEDED', JSON.stringify(res.body.errors));
        assert.equal(res.body.trigger, 'RESUME');
        break;
      }
      assert.ok(Date.now() < deadline + 60_000, `run still ${res.body.state}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assertProblem(await v2('POST', `/jobs/${jobId}/resume`), 409, 'CONFLICT');

    assert.equal((await v2('DELETE', `/jobs/${jobId}`)).status, 204);
  });

  test('with an admin key, /api.rsc/v2 needs it too, and passes it on to the native handlers', async () => {
    const app = createApp({ ...stack.deps, adminKey: 'cdata-key' });
    const path = `${V2}/workspaces/${workspaceId}/jobs`;
    const without = await app.request(path);
    assert.equal(without.status, 401);
    assert.equal(((await without.json()) as { code: string }).code, 'UNAUTHORIZED');
    const wrong = await app.request(path, { headers: { authorization: 'Bearer nope' } });
    assert.equal(wrong.status, 401);
    const withKey = await app.request(path, { headers: { authorization: 'Bearer cdata-key' } });
    assert.equal(withKey.status, 200, await withKey.clone().text());
    assertSnake(await withKey.json());
    const unknownRoute = await app.request(`${V2}/nowhere`, { headers: { authorization: 'Bearer cdata-key' } });
    assert.equal(unknownRoute.status, 404);
  });
});
