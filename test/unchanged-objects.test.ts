// An object whose source did not change since its contract last exported it, under a task, job
// and mapping that did not change either, is not mapped again: it keeps what the target holds.
// A mapping edit makes every object map again.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createHttpToPostgresJob, type HttpToPostgresJob } from './helpers/fixtures';
import { generateRecords, startSourceServer, type SourceServer } from './helpers/source-server';
import { call, startTestStack, waitForRun, type TestStack } from './helpers/stack';

const RECORDS = 40;

describe('unchanged objects are not mapped again', () => {
  let stack: TestStack;
  let source: SourceServer;
  let job: HttpToPostgresJob;
  let mappingId: number;
  let workspaceId: number;

  // `stamp` differs every time it is evaluated: an object mapped again shows up as changed.
  const rules = { id: 'id', name: 'name', email: 'email', stamp: '=$string($millis()) & "-" & $string($random())' };

  const run = async (expected = 'SUCCEEDED') => {
    const started = await call(stack.app, 'POST', `/api/v1/jobs/${job.jobId}/execute`);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const done = await waitForRun(stack.app, started.body.runId);
    assert.equal(done.state, expected, JSON.stringify(done.errors));
    return done.entityRuns[0];
  };
  const stamps = async () => (await stack.database.sql.unsafe<{ stamp: string }[]>(`select stamp from ${job.table} order by _syncline_id`)).map((r) => r.stamp);

  before(async () => {
    [stack, source] = await Promise.all([startTestStack(), startSourceServer({ records: generateRecords(RECORDS) })]);
    job = await createHttpToPostgresJob(stack.app, { sourceUrl: source.url, database: stack.database, batchSize: 15 });
    workspaceId = job.workspaceId;
    mappingId = (await call(stack.app, 'GET', `/api/v1/jobs/${job.jobId}/tasks/${job.taskId}`)).body.mappingId;
    const updated = await call(stack.app, 'PUT', `/api/v1/mappings/${mappingId}`, { workspaceId, name: 'stamped', mapping: rules });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
  });

  after(async () => {
    await stack?.stop();
    await source?.close();
  });

  test('a second run over an unchanged source reuses every contract; one changed record is mapped again alone', async () => {
    const first = await run();
    assert.equal(first.newRecordCount, String(RECORDS));
    const before = await stamps();

    const second = await run();
    assert.equal(second.unchangedRecordCount, String(RECORDS), 'nothing was mapped again');
    assert.equal(second.changedRecordCount, '0');
    assert.deepEqual(await stamps(), before);

    const records = generateRecords(RECORDS);
    records[4] = { ...records[4]!, name: 'Renamed Person' };
    source.setRecords(records);
    const third = await run();
    assert.equal(third.changedRecordCount, '1');
    assert.equal(third.unchangedRecordCount, String(RECORDS - 1));
    const after = await stamps();
    assert.equal(after.filter((stamp, i) => stamp !== before[i]).length, 1, 'only the changed record has a new stamp');
  });

  test('editing the mapping maps every object again', async () => {
    const before = await stamps();
    const edited = await call(stack.app, 'PUT', `/api/v1/mappings/${mappingId}`, { workspaceId, name: 'stamped again', mapping: rules });
    assert.equal(edited.status, 200);
    const run4 = await run();
    assert.equal(run4.changedRecordCount, String(RECORDS));
    const after = await stamps();
    assert.ok(after.every((stamp, i) => stamp !== before[i]));
  });

  test('an object the target refused is written on the next run, though its source did not change since', async () => {
    const { sql } = stack.database;
    await sql.unsafe(`alter table ${job.table} alter column name type varchar(40)`);
    const records = generateRecords(RECORDS);
    const long = `${'A very long name '.repeat(4)}indeed`;
    records[6] = { ...records[6]!, name: long };
    source.setRecords(records);
    const refused = await run('WARNING');
    assert.equal(refused.errorRecordCount, '1', JSON.stringify(refused));
    const [before] = await sql.unsafe<{ name: string }[]>(`select name from ${job.table} where _syncline_id = '7'`);
    assert.notEqual(before!.name, long, 'the refused row was not written');

    // The table now takes the name; nothing changed at the source or in Syncline's configuration.
    await sql.unsafe(`alter table ${job.table} alter column name type text`);
    const retried = await run();
    assert.equal(retried.changedRecordCount, '1', JSON.stringify(retried));
    assert.equal(retried.unchangedRecordCount, String(RECORDS - 1));
    const [after] = await sql.unsafe<{ name: string }[]>(`select name from ${job.table} where _syncline_id = '7'`);
    assert.equal(after!.name, long);

    const third = await run();
    assert.equal(third.unchangedRecordCount, String(RECORDS), 'settled again once written');
  });

  test('pausing and resuming the job leaves its objects settled; replacing its settings maps them again', async () => {
    await run();
    const before = await stamps();
    const paused = await call(stack.app, 'POST', `/api/v1/jobs/${job.jobId}/pause`);
    assert.equal(paused.status, 202, JSON.stringify(paused.body));
    // With no run in flight, resuming starts one (trigger RESUME).
    const resumed = await call(stack.app, 'POST', `/api/v1/jobs/${job.jobId}/resume`);
    assert.equal(resumed.status, 202, JSON.stringify(resumed.body));
    const resumeRun = await waitForRun(stack.app, resumed.body.runId);
    assert.equal(resumeRun.state, 'SUCCEEDED', JSON.stringify(resumeRun.errors));
    assert.equal(resumeRun.entityRuns[0].unchangedRecordCount, String(RECORDS), 'nothing was mapped again');
    assert.equal(resumeRun.entityRuns[0].changedRecordCount, '0');
    assert.deepEqual(await stamps(), before);

    // The same settings written again are a new configuration all the same.
    const { id: _id, workspaceId: _ws, paused: _paused, createdAt: _c, updatedAt: _u, ...settings } = (await call(stack.app, 'GET', `/api/v1/jobs/${job.jobId}`)).body;
    const replaced = await call(stack.app, 'PUT', `/api/v1/jobs/${job.jobId}`, settings);
    assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
    const afterEdit = await run();
    assert.equal(afterEdit.changedRecordCount, String(RECORDS));
    assert.ok((await stamps()).every((stamp, i) => stamp !== before[i]));
  });
});
