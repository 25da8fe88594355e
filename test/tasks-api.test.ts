// Task routes of a job against the real stack: one task, update, delete, move (indexes dense from
// 0), tasks given by REPLICATE query, 409 while a real run is live, each task's last run and its
// history — and a run proving the engine honours a query's SELECT list and WHERE clause.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { JsonObject } from '../activities/connectors/types';
import { createHttpToPostgresJob, type HttpToPostgresJob } from './helpers/fixtures';
import { generateRecords, startSourceServer, type SourceServer } from './helpers/source-server';
import { call, startTestStack, waitForRun, type ApiResponse, type TestStack } from './helpers/stack';

const RECORDS = 300;
const SCORE_THRESHOLD = 500;
const QUERY = `REPLICATE people SELECT id, name, score FROM [/records] WHERE score > ${SCORE_THRESHOLD}`;

interface TaskView {
  id: number;
  index: number;
  targetEntity: string;
  sourceEntity: string;
  isActive: boolean;
  query: string;
  columns: string[] | null;
  filter: { field: string; op: string; value: string | number } | null;
}

describe('task routes', () => {
  let stack: TestStack;
  let source: SourceServer;
  /** Configuration only: never executed (its extra tasks read nothing that exists). */
  let crudJob: HttpToPostgresJob;
  /** Executed: the fixture's mapped task plus a task given by query. */
  let runJob: HttpToPostgresJob;
  let queryTaskId: number;
  const runIds: string[] = [];

  const tasksUrl = (jobId: number) => `/api/v1/jobs/${jobId}/tasks`;
  const taskUrl = (jobId: number, taskId: number) => `${tasksUrl(jobId)}/${taskId}`;
  const listTasks = async (jobId: number): Promise<TaskView[]> => (await call(stack.app, 'GET', tasksUrl(jobId))).body.items;
  const order = async (jobId: number) => (await listTasks(jobId)).map((t) => [t.targetEntity, t.index]);
  const addTask = async (jobId: number, body: Record<string, unknown>): Promise<TaskView> => {
    const res = await call(stack.app, 'POST', tasksUrl(jobId), body);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body;
  };
  const assertProblem = (res: ApiResponse, status: number, code: string, path?: string) => {
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    assert.equal(res.body.code, code);
    if (path !== undefined) assert.ok(res.body.errors?.some((e: { path: string }) => e.path === path), JSON.stringify(res.body.errors));
  };

  before(async () => {
    [stack, source] = await Promise.all([startTestStack(), startSourceServer({ records: generateRecords(RECORDS) })]);
    crudJob = await createHttpToPostgresJob(stack.app, { sourceUrl: source.url, database: stack.database, batchSize: 100, table: 'crud_accounts' });
    runJob = await createHttpToPostgresJob(stack.app, { sourceUrl: source.url, database: stack.database, batchSize: 100, table: 'run_accounts' });
    queryTaskId = (await addTask(runJob.jobId, { query: QUERY, resultsPosition: 'data.items' })).id;
  });

  after(async () => {
    await Promise.allSettled([stack?.stop(), source?.close()]);
  });

  test('POST at an index shifts the later tasks; an index past the end appends', async () => {
    await addTask(crudJob.jobId, { sourceEntity: '/b', targetEntity: 'b' });
    await addTask(crudJob.jobId, { sourceEntity: '/a', targetEntity: 'a', index: 0 });
    await addTask(crudJob.jobId, { sourceEntity: '/c', targetEntity: 'c', index: 2 });
    await addTask(crudJob.jobId, { sourceEntity: '/d', targetEntity: 'd', index: 99 });
    assert.deepEqual(await order(crudJob.jobId), [['a', 0], ['crud_accounts', 1], ['c', 2], ['b', 3], ['d', 4]]);
  });

  test('GET one task: 200 with its query spelled from its fields; 400 for a bad id; 404 for an unknown one or another job\'s', async () => {
    const one = await call(stack.app, 'GET', taskUrl(crudJob.jobId, crudJob.taskId));
    assert.equal(one.status, 200, JSON.stringify(one.body));
    assert.equal(one.body.id, crudJob.taskId);
    assert.equal(one.body.jobId, crudJob.jobId);
    assert.equal(one.body.sourceEntity, '/records');
    assert.equal(one.body.query, 'REPLICATE [crud_accounts] SELECT * FROM [/records]');
    assert.equal(one.body.columns, null);
    assert.equal(one.body.filter, null);

    assertProblem(await call(stack.app, 'GET', `${tasksUrl(crudJob.jobId)}/abc`), 400, 'BAD_REQUEST', 'taskId');
    assertProblem(await call(stack.app, 'GET', `${tasksUrl(crudJob.jobId)}/0`), 400, 'BAD_REQUEST', 'taskId');
    assertProblem(await call(stack.app, 'GET', taskUrl(crudJob.jobId, 999_999)), 404, 'NOT_FOUND');
    assertProblem(await call(stack.app, 'GET', taskUrl(999_999, crudJob.taskId)), 404, 'NOT_FOUND');
    assertProblem(await call(stack.app, 'GET', taskUrl(crudJob.jobId, runJob.taskId)), 404, 'NOT_FOUND');
  });

  test('POST with a query fills the structured fields and keeps its columns and filter', async () => {
    const task = (await call(stack.app, 'GET', taskUrl(runJob.jobId, queryTaskId))).body as TaskView;
    assert.equal(task.query, QUERY);
    assert.equal(task.targetEntity, 'people');
    assert.equal(task.sourceEntity, '/records');
    assert.deepEqual(task.columns, ['id', 'name', 'score']);
    assert.deepEqual(task.filter, { field: 'score', op: '>', value: SCORE_THRESHOLD });
    assert.equal(task.index, 1);

    // Structured fields next to a query are fine when they agree with it.
    const agreeing = await addTask(crudJob.jobId, { query: 'replicate e select * from [/e]', sourceEntity: '/e', targetEntity: 'e' });
    assert.equal(agreeing.targetEntity, 'e');
    assert.equal((await call(stack.app, 'DELETE', taskUrl(crudJob.jobId, agreeing.id))).status, 204);
  });

  test('POST and PUT refuse a bad query (422 naming query, with the position), a conflict (422 naming the field), a missing entity', async () => {
    const badQuery = await call(stack.app, 'POST', tasksUrl(crudJob.jobId), { query: 'REPLICATE [T] SELECT * FORM [S]' });
    assertProblem(badQuery, 422, 'VALIDATION_ERROR', 'query');
    assert.match(badQuery.body.detail, /expected FROM at position 23/);

    const conflict = await call(stack.app, 'POST', tasksUrl(crudJob.jobId), { query: 'REPLICATE t SELECT * FROM [/x]', sourceEntity: '/y' });
    assertProblem(conflict, 422, 'VALIDATION_ERROR', 'sourceEntity');
    assert.match(conflict.body.detail, /conflicts with the query/);
    const targetConflict = await call(stack.app, 'PUT', taskUrl(crudJob.jobId, crudJob.taskId), { query: 'REPLICATE t SELECT * FROM [/x]', targetEntity: 'u' });
    assertProblem(targetConflict, 422, 'VALIDATION_ERROR', 'targetEntity');

    assertProblem(await call(stack.app, 'POST', tasksUrl(crudJob.jobId), { targetEntity: 'x' }), 422, 'VALIDATION_ERROR', 'sourceEntity');
    assertProblem(await call(stack.app, 'POST', tasksUrl(crudJob.jobId), { query: 'REPLICATE [my table] SELECT * FROM s' }), 422, 'VALIDATION_ERROR', 'query');
    assertProblem(await call(stack.app, 'POST', tasksUrl(crudJob.jobId), '{"query": '), 400, 'BAD_REQUEST');
    assert.equal((await listTasks(crudJob.jobId)).length, 5, 'no refused body left a task behind');
  });

  test('PUT replaces the task (flipping isActive, switching to a query), and an index moves it', async () => {
    const [c] = (await listTasks(crudJob.jobId)).filter((t) => t.targetEntity === 'c');
    const updated = await call(stack.app, 'PUT', taskUrl(crudJob.jobId, c!.id), {
      query: "REPLICATE c2 SELECT id, city FROM [/c] WHERE city = 'Breda'",
      isActive: false,
    });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.equal(updated.body.isActive, false);
    assert.equal(updated.body.targetEntity, 'c2');
    assert.deepEqual(updated.body.columns, ['id', 'city']);
    assert.deepEqual(updated.body.filter, { field: 'city', op: '=', value: 'Breda' });
    assert.equal(updated.body.index, 2, 'no index in the body: it stays where it was');

    // Back to structured fields: the query, columns and filter go; the index moves it to the front.
    const back = await call(stack.app, 'PUT', taskUrl(crudJob.jobId, c!.id), { sourceEntity: '/c', targetEntity: 'c', isActive: true, index: 0 });
    assert.equal(back.status, 200, JSON.stringify(back.body));
    assert.equal(back.body.isActive, true);
    assert.equal(back.body.query, 'REPLICATE [c] SELECT * FROM [/c]');
    assert.equal(back.body.columns, null);
    assert.equal(back.body.filter, null);
    assert.deepEqual(await order(crudJob.jobId), [['c', 0], ['a', 1], ['crud_accounts', 2], ['b', 3], ['d', 4]]);

    assertProblem(await call(stack.app, 'PUT', taskUrl(crudJob.jobId, c!.id), { sourceEntity: '/c', targetEntity: 'c', index: 5 }), 422, 'VALIDATION_ERROR', 'index');
    assertProblem(await call(stack.app, 'PUT', taskUrl(crudJob.jobId, c!.id), { sourceEntity: '/c', targetEntity: 'drop table; --' }), 422, 'VALIDATION_ERROR', 'targetEntity');
    assertProblem(await call(stack.app, 'PUT', taskUrl(crudJob.jobId, c!.id), { sourceEntity: '/c', targetEntity: 'c', mappingId: 999_999 }), 422, 'VALIDATION_ERROR', 'mappingId');
    assertProblem(await call(stack.app, 'PUT', taskUrl(crudJob.jobId, c!.id), { sourceEntity: '/c', targetEntity: 'c', colour: 'red' }), 422, 'VALIDATION_ERROR');
    assertProblem(await call(stack.app, 'PUT', `${tasksUrl(crudJob.jobId)}/x`, { sourceEntity: '/c', targetEntity: 'c' }), 400, 'BAD_REQUEST', 'taskId');
    assertProblem(await call(stack.app, 'PUT', taskUrl(crudJob.jobId, 999_999), { sourceEntity: '/c', targetEntity: 'c' }), 404, 'NOT_FOUND');
    assert.deepEqual(await order(crudJob.jobId), [['c', 0], ['a', 1], ['crud_accounts', 2], ['b', 3], ['d', 4]]);
  });

  test('move: down and up keep indexes dense; 422 for a stale fromIndex or toIndex out of range; 400; 404', async () => {
    const byName = new Map((await listTasks(crudJob.jobId)).map((t) => [t.targetEntity, t.id]));
    const move = (name: string, body: unknown) => call(stack.app, 'POST', `${taskUrl(crudJob.jobId, byName.get(name)!)}/move`, body);

    const down = await move('c', { fromIndex: 0, toIndex: 3 });
    assert.equal(down.status, 200, JSON.stringify(down.body));
    assert.deepEqual(down.body.items.map((t: TaskView) => [t.targetEntity, t.index]), [['a', 0], ['crud_accounts', 1], ['b', 2], ['c', 3], ['d', 4]]);
    const up = await move('d', { fromIndex: 4, toIndex: 1 });
    assert.equal(up.status, 200, JSON.stringify(up.body));
    assert.deepEqual(await order(crudJob.jobId), [['a', 0], ['d', 1], ['crud_accounts', 2], ['b', 3], ['c', 4]]);
    assert.equal((await move('b', { fromIndex: 3, toIndex: 3 })).status, 200);

    const stale = await move('b', { fromIndex: 0, toIndex: 1 });
    assertProblem(stale, 422, 'VALIDATION_ERROR', 'fromIndex');
    assert.match(stale.body.detail, /is at index 3/);
    assertProblem(await move('b', { fromIndex: 3, toIndex: 5 }), 422, 'VALIDATION_ERROR', 'toIndex');
    assertProblem(await move('b', { fromIndex: 3, toIndex: -1 }), 422, 'VALIDATION_ERROR', 'toIndex');
    assertProblem(await move('b', { fromIndex: 3 }), 422, 'VALIDATION_ERROR', 'toIndex');
    assertProblem(await call(stack.app, 'POST', `${tasksUrl(crudJob.jobId)}/abc/move`, { fromIndex: 0, toIndex: 1 }), 400, 'BAD_REQUEST', 'taskId');
    assertProblem(await call(stack.app, 'POST', `${taskUrl(crudJob.jobId, runJob.taskId)}/move`, { fromIndex: 0, toIndex: 1 }), 404, 'NOT_FOUND');
    assert.deepEqual(await order(crudJob.jobId), [['a', 0], ['d', 1], ['crud_accounts', 2], ['b', 3], ['c', 4]]);
  });

  test('DELETE closes the gap (indexes dense from 0); then 404; 400 for a bad id', async () => {
    const [d] = (await listTasks(crudJob.jobId)).filter((t) => t.targetEntity === 'd');
    const deleted = await call(stack.app, 'DELETE', taskUrl(crudJob.jobId, d!.id));
    assert.equal(deleted.status, 204);
    assert.deepEqual(await order(crudJob.jobId), [['a', 0], ['crud_accounts', 1], ['b', 2], ['c', 3]]);
    assertProblem(await call(stack.app, 'DELETE', taskUrl(crudJob.jobId, d!.id)), 404, 'NOT_FOUND');
    assertProblem(await call(stack.app, 'GET', taskUrl(crudJob.jobId, d!.id)), 404, 'NOT_FOUND');
    assertProblem(await call(stack.app, 'DELETE', `${tasksUrl(crudJob.jobId)}/-1`), 400, 'BAD_REQUEST', 'taskId');
  });

  test('while a real run is live, PUT, DELETE and move answer 409 naming the run; reads still answer', async () => {
    source.delayMs = 250; // six slow pages: the run stays live for the requests below
    const started = await call(stack.app, 'POST', `/api/v1/jobs/${runJob.jobId}/execute`);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const runId: string = started.body.runId;
    runIds.push(runId);
    try {
      const before = await listTasks(runJob.jobId);
      const conflicts = [
        await call(stack.app, 'PUT', taskUrl(runJob.jobId, queryTaskId), { query: QUERY, resultsPosition: 'data.items', isActive: false }),
        await call(stack.app, 'DELETE', taskUrl(runJob.jobId, queryTaskId)),
        await call(stack.app, 'POST', `${taskUrl(runJob.jobId, queryTaskId)}/move`, { fromIndex: 1, toIndex: 0 }),
      ];
      for (const res of conflicts) {
        assertProblem(res, 409, 'CONFLICT');
        assert.equal(res.body.runId, runId);
        assert.match(res.body.detail, new RegExp(runId));
      }
      assert.deepEqual(await listTasks(runJob.jobId), before, 'the refused edits changed nothing');
      assert.equal((await call(stack.app, 'GET', taskUrl(runJob.jobId, queryTaskId))).status, 200);
      const lastRun = await call(stack.app, 'GET', `${tasksUrl(runJob.jobId)}/last-run`);
      assert.equal(lastRun.status, 200);
      assert.ok(lastRun.body.items.every((item: { lastRun: { runId: string } | null }) => item.lastRun === null || item.lastRun.runId === runId));
    } finally {
      source.delayMs = 0;
    }
    const run = await waitForRun(stack.app, runId);
    assert.equal(run.state, 'SUCCEEDED', JSON.stringify(run.errors));
  });

  test('the engine honours a query task\'s SELECT list and WHERE: only matching records, only the selected columns', async () => {
    const matching = source.records.filter((r) => Number(r.score) > SCORE_THRESHOLD);
    assert.ok(matching.length > 0 && matching.length < RECORDS, 'the fixture has records on both sides of the threshold');

    const columns = await stack.database.sql<{ column_name: string }[]>`
      select column_name from information_schema.columns where table_schema = 'warehouse' and table_name = 'people' order by column_name`;
    assert.deepEqual(columns.map((c) => c.column_name).sort(), ['_syncline_id', '_syncline_synced_at', 'id', 'name', 'score']);
    const rows = await stack.database.sql<{ key: string; id: string; name: string; score: string }[]>`
      select _syncline_id as key, id::text as id, name, score::text as score from warehouse.people order by id::int`;
    assert.deepEqual(
      rows.map((r) => [r.key, Number(r.id), r.name, Number(r.score)]),
      matching.map((r: JsonObject) => [String(r.id), r.id, r.name, r.score]),
    );

    // The mapped task reading the same source entity still got every record, whole.
    const [{ n }] = await stack.database.sql<[{ n: number }]>`select count(*)::int as n from warehouse.run_accounts where city is not null`;
    assert.equal(n, RECORDS);

    const run = (await call(stack.app, 'GET', `/api/v1/runs/${runIds[0]}`)).body;
    const queryEntity = run.entityRuns.find((e: { taskId: number }) => e.taskId === queryTaskId);
    assert.equal(queryEntity.extractedRecordCount, String(RECORDS));
    assert.equal(queryEntity.newRecordCount, String(matching.length));
    assert.equal(queryEntity.errorRecordCount, '0');

    // A second run changes nothing: the skipped records stay skipped, the kept ones unchanged.
    const second = await call(stack.app, 'POST', `/api/v1/jobs/${runJob.jobId}/execute`);
    assert.equal(second.status, 202, JSON.stringify(second.body));
    runIds.push(second.body.runId);
    const rerun = await waitForRun(stack.app, second.body.runId);
    assert.equal(rerun.state, 'SUCCEEDED', JSON.stringify(rerun.errors));
    const again = rerun.entityRuns.find((e: { taskId: number }) => e.taskId === queryTaskId);
    assert.equal(again.newRecordCount, '0');
    assert.equal(again.changedRecordCount, '0');
    assert.equal(again.unchangedRecordCount, String(matching.length));
    const [{ count }] = await stack.database.sql<[{ count: number }]>`select count(*)::int as count from warehouse.people`;
    assert.equal(count, matching.length);
  });

  test('GET tasks/last-run: each task in index order with its last entity run (null if it never ran); not taken for a task id', async () => {
    const res = await call(stack.app, 'GET', `${tasksUrl(runJob.jobId)}/last-run`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(
      res.body.items.map((i: { taskId: number; index: number; targetEntity: string }) => [i.taskId, i.index, i.targetEntity]),
      [[runJob.taskId, 0, 'run_accounts'], [queryTaskId, 1, 'people']],
    );
    for (const item of res.body.items) {
      assert.equal(item.lastRun.runId, runIds[1]);
      assert.equal(item.lastRun.taskId, item.taskId);
      assert.equal(item.lastRun.state, 'SUCCEEDED');
    }

    const never = await call(stack.app, 'GET', `${tasksUrl(crudJob.jobId)}/last-run`);
    assert.equal(never.status, 200);
    assert.deepEqual(never.body.items.map((i: { index: number; lastRun: unknown }) => [i.index, i.lastRun]), [[0, null], [1, null], [2, null], [3, null]]);

    assertProblem(await call(stack.app, 'GET', `/api/v1/jobs/999999/tasks/last-run`), 404, 'NOT_FOUND');
    assertProblem(await call(stack.app, 'GET', `/api/v1/jobs/abc/tasks/last-run`), 400, 'BAD_REQUEST', 'jobId');
  });

  test('GET tasks/{taskId}/history: the task\'s entity runs newest first, keyset-paged; 400 bad cursor; 404', async () => {
    const url = `${taskUrl(runJob.jobId, queryTaskId)}/history`;
    const all = await call(stack.app, 'GET', url);
    assert.equal(all.status, 200, JSON.stringify(all.body));
    assert.deepEqual(all.body.items.map((i: { runId: string }) => i.runId), [runIds[1], runIds[0]]);
    assert.equal(all.body.nextCursor, null);
    assert.ok(all.body.items.every((i: { taskId: number; entityName: string }) => i.taskId === queryTaskId && i.entityName === 'people'));

    const first = await call(stack.app, 'GET', `${url}?limit=1`);
    assert.deepEqual(first.body.items.map((i: { runId: string }) => i.runId), [runIds[1]]);
    assert.ok(first.body.nextCursor);
    const rest = await call(stack.app, 'GET', `${url}?limit=1&cursor=${first.body.nextCursor}`);
    assert.deepEqual(rest.body.items.map((i: { runId: string }) => i.runId), [runIds[0]]);
    assert.equal(rest.body.nextCursor, null);

    const empty = await call(stack.app, 'GET', `${taskUrl(crudJob.jobId, crudJob.taskId)}/history`);
    assert.deepEqual(empty.body, { items: [], nextCursor: null });

    assertProblem(await call(stack.app, 'GET', `${url}?cursor=not-a-cursor`), 400, 'BAD_REQUEST', 'cursor');
    assertProblem(await call(stack.app, 'GET', `${url}?limit=0`), 400, 'BAD_REQUEST', 'limit');
    assertProblem(await call(stack.app, 'GET', `${taskUrl(crudJob.jobId, queryTaskId)}/history`), 404, 'NOT_FOUND');
  });
});
