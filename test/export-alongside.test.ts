// A job run writes each page to a PostgreSQL destination as the page synchronises: no export is
// queued when the write succeeds, a write that fails as a whole is queued and retried by the export
// step, and an export left open by an earlier run never lands after a newer change of its object.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { JsonObject } from '../activities/connectors/types';
import { STAGE_SLICE } from '../activities/steps/import-page';
import { DIRECT_WRITE_SLICE } from '../activities/steps/upsert-page';
import { createHttpToPostgresJob, type HttpToPostgresJob } from './helpers/fixtures';
import { generateRecords, startSourceServer, type SourceServer } from './helpers/source-server';
import { call, startTestStack, waitForRun, type TestStack } from './helpers/stack';

const RECORDS = 100;
const BATCH = 25;

describe('export alongside synchronisation', () => {
  let stack: TestStack;
  const servers: SourceServer[] = [];

  before(async () => {
    stack = await startTestStack();
  });

  after(async () => {
    await Promise.allSettled([stack?.stop(), ...servers.map((s) => s.close())]);
  });

  const sql = () => stack.database.sql;

  async function setUp(table: string, records = RECORDS, batchSize = BATCH): Promise<{ source: SourceServer; job: HttpToPostgresJob }> {
    const source = await startSourceServer({ records: generateRecords(records) });
    servers.push(source);
    const job = await createHttpToPostgresJob(stack.app, { sourceUrl: source.url, database: stack.database, batchSize, table });
    return { source, job };
  }

  async function runJob(job: HttpToPostgresJob): Promise<any> {
    const started = await call(stack.app, 'POST', `/api/v1/jobs/${job.jobId}/execute`);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const run = await waitForRun(stack.app, started.body.runId);
    assert.equal(run.state, 'SUCCEEDED', JSON.stringify(run.errors));
    return run;
  }

  const exportsOf = async (taskId: number) =>
    [
      ...(await sql()<{ run_id: string; origin_id: string; action: string; status: string; attempts: number }[]>`
        select run_id::text, origin_id, action, status, attempts from pending_exports where task_id = ${taskId} order by id`),
    ];
  const namesIn = async (table: string) =>
    new Map((await sql()<{ id: string; name: string }[]>`select _syncline_id as id, name from ${sql()(table)}`).map((r) => [r.id, r.name]));
  const renamed = (records: JsonObject[], ids: number[]) => records.map((r) => (ids.includes(Number(r.id)) ? { ...r, name: `${String(r.name)} II` } : r));

  test('each page is written as it synchronises: nothing is queued and the contracts record the write', async () => {
    const { source, job } = await setUp('alongside_people');
    const first = await runJob(job);
    assert.equal(first.entityRuns[0].newRecordCount, String(RECORDS));
    assert.equal((await namesIn(job.table)).size, RECORDS);
    assert.deepEqual(await exportsOf(job.taskId), []);
    const [contracts] = await sql()<{ n: number; written: number }[]>`
      select count(*)::int as n,
        (count(*) filter (where target_id = origin_id and target_hash is not null and synced_origin_hash = origin_hash and last_action = 'create'))::int as written
      from contracts where task_id = ${job.taskId}`;
    assert.deepEqual({ ...contracts }, { n: RECORDS, written: RECORDS });
    const logs = (await call(stack.app, 'GET', `/api/v1/runs/${first.id}/logs?limit=500&action=created`)).body.items as { originId: string; targetId: string }[];
    assert.equal(logs.length, RECORDS);
    assert.ok(logs.every((l) => l.targetId === l.originId));

    // A change reaches the destination the same way, and its contract says update.
    source.setRecords(renamed(source.records, [5, 60]));
    const second = await runJob(job);
    assert.equal(second.entityRuns[0].changedRecordCount, '2');
    const names = await namesIn(job.table);
    assert.match(names.get('5')!, / II$/);
    assert.match(names.get('60')!, / II$/);
    assert.deepEqual(await exportsOf(job.taskId), []);
    const actions = await sql()<{ origin_id: string; last_action: string }[]>`
      select origin_id, last_action from contracts where task_id = ${job.taskId} and origin_id in ('5', '60') order by origin_id`;
    assert.deepEqual(actions.map((a) => ({ ...a })), [{ origin_id: '5', last_action: 'update' }, { origin_id: '60', last_action: 'update' }]);

    // Nothing changed: the next run writes nothing.
    const before = await sql()<{ xmin: string }[]>`select xmin::text from ${sql()(job.table)} order by _syncline_id`;
    const third = await runJob(job);
    assert.equal(third.entityRuns[0].unchangedRecordCount, String(RECORDS));
    assert.deepEqual(await sql()<{ xmin: string }[]>`select xmin::text from ${sql()(job.table)} order by _syncline_id`, before);
  });

  test('a write the destination fails as a whole is queued, and the export step retries it until it lands', async () => {
    const { source, job } = await setUp('flaky_people');
    await runJob(job);
    // A destination that fails its next two writes: the page's own write, then the export step's first attempt.
    const [schema, table] = job.table.split('.') as [string, string];
    await sql().unsafe(`
      create sequence ${schema}.flaky_writes;
      create function ${schema}.fail_twice() returns trigger language plpgsql as $$
      begin
        if nextval('${schema}.flaky_writes') <= 2 then raise exception 'destination is briefly unavailable'; end if;
        return null;
      end $$;
      create trigger fail_twice before insert on ${schema}.${table} for each statement execute function ${schema}.fail_twice();`);
    source.setRecords(renamed(source.records, [1, 2, 3]));
    const run = await runJob(job);
    assert.equal(run.entityRuns[0].changedRecordCount, '3');
    assert.equal(run.entityRuns[0].errorRecordCount, '0');
    const [writes] = await sql()<{ n: string }[]>`select last_value::text as n from ${sql()(`${schema}.flaky_writes`)}`;
    assert.equal(writes!.n, '3', 'the page write and the first export attempt failed, the retry wrote');
    const names = await namesIn(job.table);
    for (const id of ['1', '2', '3']) assert.match(names.get(id)!, / II$/);
    const queued = await exportsOf(job.taskId);
    assert.deepEqual(
      queued.map(({ origin_id, action, status, attempts }) => ({ origin_id, action, status, attempts })),
      ['1', '2', '3'].map((origin_id) => ({ origin_id, action: 'update', status: 'Exported', attempts: 2 })),
    );
    const [contracts] = await sql()<{ n: number }[]>`
      select count(*)::int as n from contracts where task_id = ${job.taskId} and origin_id in ('1', '2', '3') and synced_origin_hash = origin_hash and last_action = 'update'`;
    assert.equal(contracts!.n, 3);
  });

  test('a first run whose destination fails a page as a whole queues that page: its contracts and run log record the write once the export step lands it', async () => {
    const table = 'flaky_first_people';
    // The table is there before the run (the run adds its columns), with a trigger that fails the
    // first two writes: the first page's COPY, then its merge.
    await sql().unsafe(`
      create schema if not exists warehouse;
      create table warehouse.${table} (_syncline_id text primary key, _syncline_synced_at timestamptz not null default now());
      create sequence warehouse.flaky_first_writes;
      create function warehouse.fail_first_two() returns trigger language plpgsql as $$
      begin
        if nextval('warehouse.flaky_first_writes') <= 2 then raise exception 'destination is briefly unavailable'; end if;
        return null;
      end $$;
      create trigger fail_first_two before insert on warehouse.${table} for each statement execute function warehouse.fail_first_two();`);
    const { source, job } = await setUp(table);
    const run = await runJob(job);
    assert.equal(run.entityRuns[0].newRecordCount, String(RECORDS));
    assert.equal(run.entityRuns[0].errorRecordCount, '0');
    const [writes] = await sql()<{ n: string }[]>`select last_value::text as n from warehouse.flaky_first_writes`;
    assert.ok(Number(writes!.n) > 2, 'the first page failed twice, then the writes went through');
    const names = await namesIn(job.table);
    assert.equal(names.size, RECORDS);
    for (const r of source.records) assert.equal(names.get(String(r.id)), r.name);
    // The first page alone was queued, and its exports landed on the export step's first attempt.
    const queued = await exportsOf(job.taskId);
    assert.deepEqual(
      queued.map(({ action, status, attempts }) => ({ action, status, attempts })),
      Array.from({ length: BATCH }, () => ({ action: 'create', status: 'Exported', attempts: 1 })),
    );
    assert.deepEqual(queued.map((q) => q.origin_id).sort(), source.records.slice(0, BATCH).map((r) => String(r.id)).sort());
    const [contracts] = await sql()<{ n: number; written: number }[]>`
      select count(*)::int as n, (count(*) filter (where target_id = origin_id and synced_origin_hash = origin_hash))::int as written
      from contracts where task_id = ${job.taskId}`;
    assert.deepEqual({ ...contracts }, { n: RECORDS, written: RECORDS });
    // Each object is logged created once, naming its target row: the pages written as they
    // synchronised when they were written, the queued page when the export step wrote it.
    const logs = await sql()<{ origin_id: string; target_id: string | null }[]>`
      select origin_id, target_id from run_log_entries where run_id = ${run.id}::uuid and action = 'created'`;
    assert.equal(logs.length, RECORDS);
    assert.equal(new Set(logs.map((l) => l.origin_id)).size, RECORDS);
    for (const l of logs) assert.equal(l.target_id, l.origin_id, l.origin_id);
  });

  test('an export an earlier run left open never lands after a newer change: objects that came back stay', async () => {
    const { source, job } = await setUp('returning_people');
    await runJob(job);
    const all = source.records;
    // Records 3 and 4 leave the source; an import and a synchronisation (no export) queue their deletes.
    source.setRecords(all.filter((r) => ![3, 4].includes(Number(r.id))));
    const jobBody = (await call(stack.app, 'GET', `/api/v1/jobs/${job.jobId}`)).body;
    for (const runType of ['FullImport', 'FullSynchronisation']) {
      const profile = await call(stack.app, 'POST', `/api/v1/synchronisation/connected-systems/${jobBody.sourceConnectionId}/run-profiles`, { name: runType, runType });
      assert.equal(profile.status, 201, JSON.stringify(profile.body));
      const started = await call(stack.app, 'POST', `/api/v1/synchronisation/connected-systems/${jobBody.sourceConnectionId}/run-profiles/${profile.body.id}/execute`);
      assert.equal(started.status, 202, JSON.stringify(started.body));
      const run = await waitForRun(stack.app, started.body.activityId);
      assert.equal(run.state, 'SUCCEEDED', JSON.stringify(run.errors));
    }
    assert.deepEqual(
      (await exportsOf(job.taskId)).map(({ origin_id, action, status }) => ({ origin_id, action, status })),
      ['3', '4'].map((origin_id) => ({ origin_id, action: 'delete', status: 'Pending' })),
    );
    // Their register objects are gone; the contracts stay (the target still holds the rows) and no longer point at them.
    const kept = await sql()<{ origin_id: string; register_object_id: string | null; dangling: boolean }[]>`
      select c.origin_id, c.register_object_id::text,
        (c.register_object_id is not null and not exists (select 1 from register_objects r where r.id = c.register_object_id)) as dangling
      from contracts c where c.task_id = ${job.taskId} and c.origin_id in ('3', '4') order by c.origin_id`;
    assert.deepEqual(
      kept.map((k) => ({ ...k })),
      ['3', '4'].map((origin_id) => ({ origin_id, register_object_id: null, dangling: false })),
    );

    // They come back before those deletes were exported: 3 changed, 4 as it was.
    source.setRecords(renamed(all, [3]));
    const run = await runJob(job);
    assert.equal(run.entityRuns[0].deletedRecordCount, '0');
    const names = await namesIn(job.table);
    assert.equal(names.size, RECORDS);
    assert.match(names.get('3')!, / II$/);
    assert.equal(names.get('4'), String(all[3]!.name));
    assert.deepEqual(await exportsOf(job.taskId), [], 'the stale deletes are gone, nothing else was queued');
  });

  test('a page larger than a staging or write slice is staged and written whole, each object once', async () => {
    const records = 2 * Math.max(STAGE_SLICE, DIRECT_WRITE_SLICE) + 123;
    const { source, job } = await setUp('big_page_people', records, records);
    const first = await runJob(job);
    assert.equal(first.entityRuns[0].newRecordCount, String(records));
    const names = await namesIn(job.table);
    assert.equal(names.size, records);
    for (const r of source.records) assert.equal(names.get(String(r.id)), r.name);
    // Every slice's contracts record the write.
    const [contracts] = await sql()<{ written: number }[]>`
      select count(*)::int as written from contracts where task_id = ${job.taskId} and target_hash is not null and synced_origin_hash = origin_hash`;
    assert.equal(contracts!.written, records);
    assert.deepEqual(await exportsOf(job.taskId), []);

    // Looked up again (in slices, the page being large): only the objects that changed, wherever
    // they are on the page, are written.
    const changedIds = [1, Math.floor(records / 2) + 1, records - 1];
    source.setRecords(renamed(source.records, changedIds));
    const second = await runJob(job);
    assert.equal(second.entityRuns[0].changedRecordCount, String(changedIds.length));
    assert.equal(second.entityRuns[0].unchangedRecordCount, String(records - changedIds.length));
    const renamedNames = await namesIn(job.table);
    for (const r of source.records) assert.equal(renamedNames.get(String(r.id)), r.name);
    for (const id of changedIds) assert.match(renamedNames.get(String(id))!, / II$/);
  });
});
