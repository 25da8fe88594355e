// Run profiles (JIM): each run type does exactly its stage — import fills the connector space,
// synchronisation fills the register and queues exports, export writes the destination — with
// the same engine and stores as job runs. Real Temporal, PostgreSQL and HTTP source.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Sql } from '../db/client';
import { createHttpToPostgresJob, type HttpToPostgresJob } from './helpers/fixtures';
import { generateRecords, startSourceServer, type SourceServer } from './helpers/source-server';
import { call, startTestStack, waitForRun, type TestStack } from './helpers/stack';

const RECORDS = 100;

/** (key, xmin) of every row of the stores: equal snapshots mean no row was written. */
async function storeSnapshot(sql: Sql, destination: string) {
  const rows = async (query: Promise<{ k: string; x: string }[]>) => (await query).map((r) => `${r.k}@${r.x}`);
  const destinationExists = (await sql`select to_regclass(${destination}) as t`)[0]!.t !== null;
  return {
    space: await rows(sql`select external_id as k, xmin::text as x from connector_space_objects order by connected_system_id, entity, external_id`),
    register: await rows(sql`select id::text as k, xmin::text as x from register_objects order by id`),
    contracts: await rows(sql`select id::text as k, xmin::text as x from contracts order by id`),
    exports: await rows(sql`select id::text as k, xmin::text as x from pending_exports order by id`),
    watermarks: await rows(sql`select kind as k, xmin::text as x from watermarks order by kind`),
    destination: destinationExists ? await rows(sql`select _syncline_id as k, xmin::text as x from ${sql(destination)} order by 1`) : [],
  };
}

describe('run profiles: one stage each, one engine', () => {
  let stack: TestStack;
  let source: SourceServer;
  let job: HttpToPostgresJob;
  let sourceSystemId: number;
  let destinationSystemId: number;
  const profiles: Record<string, number> = {};

  before(async () => {
    [stack, source] = await Promise.all([
      startTestStack(),
      startSourceServer({ records: generateRecords(RECORDS).map((r) => ({ ...r, version: Number(r.id) })) }),
    ]);
    job = await createHttpToPostgresJob(stack.app, { sourceUrl: source.url, database: stack.database, batchSize: 25, table: 'people' });
    const jobBody = (await call(stack.app, 'GET', `/api/v1/jobs/${job.jobId}`)).body;
    sourceSystemId = jobBody.sourceConnectionId;
    destinationSystemId = jobBody.destinationConnectionId;
    for (const [system, runType] of [
      [sourceSystemId, 'FullImport'],
      [sourceSystemId, 'DeltaImport'],
      [sourceSystemId, 'FullSynchronisation'],
      [sourceSystemId, 'DeltaSynchronisation'],
      [destinationSystemId, 'Export'],
    ] as const) {
      const created = await call(stack.app, 'POST', `/api/v1/synchronisation/connected-systems/${system}/run-profiles`, { name: runType, runType, pageSize: 30 });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.pageSize, 30);
      profiles[runType] = created.body.id;
    }
  });

  after(async () => {
    await Promise.allSettled([stack?.stop(), source?.close()]);
  });

  const execute = async (runType: string) => {
    const system = runType === 'Export' ? destinationSystemId : sourceSystemId;
    const started = await call(stack.app, 'POST', `/api/v1/synchronisation/connected-systems/${system}/run-profiles/${profiles[runType]}/execute`);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.deepEqual(started.body.warnings, []);
    assert.equal(started.headers.get('location'), `/api/v1/activities/${started.body.activityId}`);
    const run = await waitForRun(stack.app, started.body.activityId);
    const activity = await call(stack.app, 'GET', `/api/v1/activities/${started.body.activityId}`);
    assert.equal(activity.body.id, run.id);
    assert.equal(activity.body.runType, runType);
    return run;
  };
  const count = async (table: string, where = stack.database.sql`true`) =>
    (await stack.database.sql<{ n: number }[]>`select count(*)::int as n from ${stack.database.sql(table)} where ${where}`)[0]!.n;
  const destination = 'warehouse.people';

  test('FullImport fills the connector space and nothing else', async () => {
    const run = await execute('FullImport');
    assert.equal(run.state, 'SUCCEEDED', JSON.stringify(run.errors));
    const [entity] = run.entityRuns;
    assert.equal(entity.extractedRecordCount, String(RECORDS));
    assert.equal(entity.newRecordCount, String(RECORDS));
    assert.equal(await count('connector_space_objects'), RECORDS);
    assert.equal(await count('register_objects'), 0);
    assert.equal(await count('contracts'), 0);
    assert.equal(await count('pending_exports'), 0);
    assert.equal((await stack.database.sql`select to_regclass(${destination}) as t`)[0]!.t, null);
  });

  test('FullSynchronisation then fills the register and contracts and queues exports, writing no destination row', async () => {
    const run = await execute('FullSynchronisation');
    assert.equal(run.state, 'SUCCEEDED', JSON.stringify(run.errors));
    assert.equal(run.entityRuns[0].newRecordCount, String(RECORDS));
    assert.equal(await count('register_objects'), RECORDS);
    assert.equal(await count('contracts'), RECORDS);
    assert.equal(await count('pending_exports', stack.database.sql`status = 'Pending'`), RECORDS);
    assert.equal((await stack.database.sql`select to_regclass(${destination}) as t`)[0]!.t, null);
    // Its run log names no target row: nothing reached the target in this run.
    assert.equal(await count('run_log_entries', stack.database.sql`run_id = ${run.id}::uuid and action = 'created' and target_id is null`), RECORDS);
  });

  test('Export then writes the destination and records the target ids on the contracts', async () => {
    const run = await execute('Export');
    assert.equal(run.state, 'SUCCEEDED', JSON.stringify(run.errors));
    assert.equal(run.entityRuns[0].indexedRecordCount, String(RECORDS));
    assert.equal(await count(destination), RECORDS);
    assert.equal(await count('pending_exports', stack.database.sql`status = 'Exported'`), RECORDS);
    assert.equal(await count('contracts', stack.database.sql`target_id is not null and target_hash is not null`), RECORDS);
    // The synchronisation's run log stays as that run left it: nothing reached the target in it.
    assert.equal(await count('run_log_entries', stack.database.sql`action = 'created' and target_id is null`), RECORDS);
  });

  test('re-running every stage with no source change writes no row anywhere', async () => {
    const before = await storeSnapshot(stack.database.sql, destination);
    const imported = await execute('FullImport');
    assert.equal(imported.entityRuns[0].unchangedRecordCount, String(RECORDS));
    assert.equal(imported.entityRuns[0].newRecordCount, '0');
    assert.equal(imported.entityRuns[0].deletedRecordCount, '0');
    const synced = await execute('FullSynchronisation');
    assert.equal(synced.entityRuns[0].unchangedRecordCount, String(RECORDS));
    assert.equal(synced.entityRuns[0].changedRecordCount, '0');
    const exported = await execute('Export');
    assert.equal(exported.entityRuns[0].indexedRecordCount, '0');
    const { watermarks: _w1, ...storesBefore } = before;
    const { watermarks: _w2, ...storesAfter } = await storeSnapshot(stack.database.sql, destination);
    assert.deepEqual(storesAfter, storesBefore);
  });

  test('a full import after 5 source objects disappear marks exactly those 5 deleted; an empty import deletes nothing', async () => {
    const all = source.records;
    const gone = ['3', '14', '15', '92', '100'];
    source.setRecords(all.filter((r) => !gone.includes(String(r.id))));
    const run = await execute('FullImport');
    assert.equal(run.state, 'SUCCEEDED', JSON.stringify(run.errors));
    assert.equal(run.entityRuns[0].deletedRecordCount, '5');
    const deleted = await stack.database.sql<{ external_id: string }[]>`
      select external_id from connector_space_objects where deleted_at is not null order by external_id::int`;
    assert.deepEqual(deleted.map((d) => d.external_id), gone);

    source.setRecords([]);
    const empty = await execute('FullImport');
    assert.equal(empty.state, 'SUCCEEDED', JSON.stringify(empty.errors));
    assert.equal(empty.entityRuns[0].extractedRecordCount, '0');
    assert.equal(empty.entityRuns[0].deletedRecordCount, '0');
    assert.equal(await count('connector_space_objects', stack.database.sql`deleted_at is not null`), 5);

    // Synchronising the deletions queues deletes, and the export removes the rows.
    source.setRecords(all.filter((r) => !gone.includes(String(r.id))));
    const synced = await execute('FullSynchronisation');
    assert.equal(synced.entityRuns[0].deletedRecordCount, '5');
    await execute('Export');
    assert.equal(await count(destination), RECORDS - 5);
    source.setRecords(all);
  });

  test('a delta import after a failed page keeps the old watermark, and never deletes by absence', async () => {
    await stack.database.sql`update tasks set incremental_field = 'version' where id = ${job.taskId}`;
    const first = await execute('DeltaImport');
    assert.equal(first.state, 'SUCCEEDED', JSON.stringify(first.errors));
    assert.equal(first.syncType, 'INCREMENTAL');
    const watermark = async () => (await stack.database.sql<{ value: string }[]>`select value from watermarks where kind = 'import'`)[0]?.value;
    assert.equal(await watermark(), String(RECORDS));

    source.setRecords(source.records.map((r) => (Number(r.id) <= 10 ? { ...r, version: 1000 + Number(r.id), name: `${String(r.name)}!` } : r)));
    source.failMatching = { match: (url) => url.searchParams.get('page') === '2', status: 401 };
    const failed = await execute('DeltaImport');
    source.failMatching = null;
    assert.equal(failed.state, 'FAILED');
    assert.equal(failed.errors[0].code, 'SOURCE_HTTP_401');
    assert.equal(await watermark(), String(RECORDS), 'the watermark of the failed run was not kept');

    source.setRecords(source.records.filter((r) => Number(r.id) !== 50));
    const retried = await execute('DeltaImport');
    assert.equal(retried.state, 'SUCCEEDED', JSON.stringify(retried.errors));
    assert.equal(await watermark(), '1010');
    assert.equal(retried.entityRuns[0].deletedRecordCount, '0');
    assert.equal(await count('connector_space_objects', stack.database.sql`external_id = '50' and deleted_at is null`), 1);
  });

  test('a delta synchronisation picks up only what changed since the last one', async () => {
    const full = await execute('FullSynchronisation');
    assert.equal(full.state, 'SUCCEEDED', JSON.stringify(full.errors));
    const delta = await execute('DeltaSynchronisation');
    assert.equal(delta.state, 'SUCCEEDED', JSON.stringify(delta.errors));
    assert.equal(delta.entityRuns[0].extractedRecordCount, '0');
    source.setRecords(source.records.map((r) => (Number(r.id) === 7 ? { ...r, name: 'Seven' } : r)));
    await execute('FullImport');
    // Record 7 changed; record 50 (dropped from the source by the previous test) is now deleted.
    const after = await execute('DeltaSynchronisation');
    assert.equal(after.entityRuns[0].extractedRecordCount, '2');
    assert.equal(after.entityRuns[0].changedRecordCount, '1');
    assert.equal(after.entityRuns[0].deletedRecordCount, '1');
    assert.equal(after.entityRuns[0].unchangedRecordCount, '0');
  });

  test('run profile routes: runType cannot change, bad bodies name the field, unknown ids answer 404, activities filter', async () => {
    const base = `/api/v1/synchronisation/connected-systems/${sourceSystemId}/run-profiles`;
    const changeType = await call(stack.app, 'PUT', `${base}/${profiles.FullImport}`, { name: 'x', runType: 'Export' });
    assert.equal(changeType.status, 422);
    assert.equal(changeType.body.errors[0].path, 'runType');
    const rename = await call(stack.app, 'PUT', `${base}/${profiles.FullImport}`, { name: 'Nightly import', runType: 'FullImport', pageSize: 50 });
    assert.equal(rename.status, 200);
    assert.equal(rename.body.name, 'Nightly import');
    for (const [body, field] of [
      [{ name: 'p', runType: 'Sometimes' }, 'runType'],
      [{ name: 'p', runType: 'FullImport', pageSize: 0 }, 'pageSize'],
      [{ name: 'p', runType: 'FullImport', pageSize: 10_001 }, 'pageSize'],
      [{ name: 'p', runType: 'FullImport', filePath: 'a.csv' }, 'filePath'],
    ] as const) {
      const res = await call(stack.app, 'POST', base, body);
      assert.equal(res.status, 422, JSON.stringify(res.body));
      assert.equal(res.body.errors[0].path, field);
    }
    assert.equal((await call(stack.app, 'POST', `/api/v1/synchronisation/connected-systems/987654/run-profiles`, { name: 'p', runType: 'FullImport' })).status, 404);
    assert.equal((await call(stack.app, 'POST', `${base}/987654/execute`)).status, 404);
    assert.equal((await call(stack.app, 'GET', '/api/v1/activities/00000000-0000-4000-8000-000000000000')).status, 404);
    const listed = await call(stack.app, 'GET', base);
    assert.equal(listed.body.items.length, 4);
    const activities = await call(stack.app, 'GET', `/api/v1/activities?runProfileId=${profiles.Export}&state=SUCCEEDED`);
    assert.ok(activities.body.items.length >= 2);
    assert.ok(activities.body.items.every((a: { runProfileId: number; state: string }) => a.runProfileId === profiles.Export && a.state === 'SUCCEEDED'));
    const extra = await call(stack.app, 'POST', base, { name: 'tmp', runType: 'Export' });
    assert.equal((await call(stack.app, 'DELETE', `${base}/${extra.body.id}`)).status, 204);
    assert.equal((await call(stack.app, 'DELETE', `${base}/${extra.body.id}`)).status, 404);
  });
});
