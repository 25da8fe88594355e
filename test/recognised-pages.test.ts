// An HTTP page whose answer is byte for byte one read before is recognised by its digest: the
// import takes its ids and hashes from source_pages instead of parsing and hashing it, and parses
// it only for an object that turns out not to be settled. What it remembers must be exactly what
// parsing the page gives, and a remembered answer that is wrong is forgotten, not trusted.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createHash } from 'node:crypto';
import { hashObject } from '../activities/hashing';
import type { JsonObject } from '../activities/connectors/types';
import { createHttpToPostgresJob, type HttpToPostgresJob } from './helpers/fixtures';
import { completedResult, scheduledActivities, workflowHistories } from './helpers/history';
import { generateRecords, startSourceServer, type SourceServer } from './helpers/source-server';
import { call, startTestStack, waitForRun, type TestStack } from './helpers/stack';

const RECORDS = 40;
const BATCH = 15;
/** Pages with records: 15, 15 and 10 (the source's total ends the import there). */
const PAGES = 3;

describe('recognised source pages', () => {
  let stack: TestStack;
  let source: SourceServer;
  let job: HttpToPostgresJob;
  let records: JsonObject[];

  const sql = () => stack.database.sql;
  /** Runs the job; the entity run and the pages its imports recognised. */
  const run = async (state = 'SUCCEEDED') => {
    const started = await call(stack.app, 'POST', `/api/v1/jobs/${job.jobId}/execute`);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const done = await waitForRun(stack.app, started.body.runId);
    assert.equal(done.state, state, JSON.stringify(done.errors));
    const histories = await workflowHistories(stack.env.client, done.workflowId, done.temporalRunId);
    let recognised = 0;
    let recordsRecognised = 0;
    for (const h of histories) {
      for (const a of scheduledActivities(h).filter((x) => x.type === 'importPage')) {
        const result = completedResult(h, a.eventId);
        recognised += Number(result?.recognised ?? 0);
        recordsRecognised += Number(result?.recordsRecognised ?? 0);
      }
    }
    return { runId: started.body.runId as string, entity: done.entityRuns[0], recognised, recordsRecognised };
  };
  const remembered = async () =>
    sql()<{ external_ids: string[]; hashes: string; record_digests: string | null; fetched: number; next_cursor: string | null; total_count: string | null }[]>`
      select external_ids, encode(hashes, 'hex') as hashes, encode(record_digests, 'hex') as record_digests, fetched, next_cursor, total_count::text
      from source_pages order by next_cursor nulls last`;
  /** SHA-256 of a record's bytes as the source server sends them (JSON.stringify of its body). */
  const bytesDigest = (record: JsonObject) => createHash('sha256').update(JSON.stringify(record)).digest('hex');
  const destination = async () => sql().unsafe<{ id: string; name: string }[]>(`select id, name from ${job.table} order by id`);
  const spaceOf = async (id: string) =>
    (await sql()<{ hash: string; data: JsonObject }[]>`select hash, data from connector_space_objects where external_id = ${id}`)[0]!;

  before(async () => {
    records = generateRecords(RECORDS);
    [stack, source] = await Promise.all([startTestStack(), startSourceServer({ records })]);
    job = await createHttpToPostgresJob(stack.app, { sourceUrl: source.url, database: stack.database, batchSize: BATCH });
  });

  after(async () => {
    await stack?.stop();
    await source?.close();
  });

  test('a first run remembers each page: its ids and hashes are what parsing it gives', async () => {
    const first = await run();
    assert.equal(first.entity.newRecordCount, String(RECORDS));
    assert.equal(first.recognised, 0, 'nothing was read before');
    assert.equal(first.recordsRecognised, 0);
    const pages = await remembered();
    assert.equal(pages.length, PAGES);
    assert.deepEqual(pages.map((p) => p.fetched), [15, 15, 10]);
    assert.deepEqual(pages.map((p) => p.next_cursor), ['2', '3', null]);
    assert.deepEqual(pages.map((p) => p.total_count), [String(RECORDS), String(RECORDS), String(RECORDS)]);
    assert.deepEqual(pages.flatMap((p) => p.external_ids), records.map((r) => String(r.id)));
    assert.equal(pages.map((p) => p.hashes).join(''), records.map((r) => hashObject(r)).join(''));
    assert.equal(pages.map((p) => p.record_digests).join(''), records.map(bytesDigest).join(''), "each record's bytes digested in order");
  });

  test('an unchanged source is recognised page by page and counted as before', async () => {
    const before = await destination();
    const second = await run();
    assert.equal(second.recognised, PAGES);
    assert.equal(second.recordsRecognised, RECORDS);
    assert.equal(second.entity.extractedRecordCount, String(RECORDS));
    assert.equal(second.entity.unchangedRecordCount, String(RECORDS));
    assert.equal(second.entity.changedRecordCount, '0');
    assert.deepEqual(await destination(), before);
  });

  test('a page whose answer changed is read record by record: only the changed record is parsed, and the page remembered anew', async () => {
    records = records.map((r, i) => (i === 4 ? { ...r, name: 'Renamed Person' } : r));
    source.setRecords(records);
    const third = await run();
    assert.equal(third.recognised, PAGES - 1);
    assert.equal(third.recordsRecognised, RECORDS - 1, 'every record but the changed one known by its bytes');
    assert.equal(third.entity.changedRecordCount, '1');
    assert.equal(third.entity.unchangedRecordCount, String(RECORDS - 1));
    assert.equal((await destination()).find((r) => r.id === String(records[4]!.id))?.name, 'Renamed Person');
    const [page1] = await remembered();
    assert.equal(page1!.hashes, records.slice(0, BATCH).map((r) => hashObject(r)).join(''));
    assert.equal(page1!.record_digests, records.slice(0, BATCH).map(bytesDigest).join(''));
  });

  test('an object not settled on a recognised page gets its data from the answer', async () => {
    // The connector space no longer holds what the source answers for one object (another writer,
    // a restore): the object is not settled, so the recognised page parses its answer for it.
    const id = String(records[20]!.id);
    await sql()`update connector_space_objects set hash = 'stale', data = '{}' where external_id = ${id}`;
    const fourth = await run();
    assert.equal(fourth.recognised, PAGES);
    assert.equal(fourth.entity.unchangedRecordCount, String(RECORDS));
    const space = await spaceOf(id);
    assert.equal(space.hash, hashObject(records[20]));
    assert.deepEqual(space.data, records[20]);
  });

  test('a remembered answer that does not hold what the page parses to is forgotten, and the page read afresh', async () => {
    // Object 8's remembered hash is corrupted: recognised, the object is not settled (the
    // connector space holds its true hash), its record parsed from the answer does not match, and
    // the page fails; its retry no longer recognises the answer.
    const id = String(records[7]!.id);
    await sql()`update source_pages set hashes = overlay(hashes placing ${Buffer.alloc(32)} from ${7 * 32 + 1} for 32) where ${id} = any(external_ids)`;
    const before = await destination();
    const fifth = await run();
    assert.equal(fifth.entity.unchangedRecordCount, String(RECORDS));
    assert.equal(fifth.entity.extractedRecordCount, String(RECORDS));
    assert.deepEqual(await destination(), before, 'nothing written twice or lost');
    const [page1] = await remembered();
    assert.equal(page1!.hashes, records.slice(0, BATCH).map((r) => hashObject(r)).join(''), 'remembered afresh');
    const sixth = await run();
    assert.equal(sixth.recognised, PAGES);
    assert.equal((await remembered()).length, PAGES, 'one remembered answer per page, however many runs');
  });

  test('a remembered record whose hash is wrong is found out when parsed, and its page read afresh', async () => {
    // Page 1's answer changes in object 3, so the page is read record by record; object 8's
    // remembered hash is corrupted, so it is not settled, is parsed, does not match, and the page
    // fails; its retry reads it whole.
    records = records.map((r, i) => (i === 2 ? { ...r, name: 'Renamed Again' } : r));
    source.setRecords(records);
    await sql()`update source_pages set hashes = overlay(hashes placing ${Buffer.alloc(32)} from ${7 * 32 + 1} for 32) where ${String(records[7]!.id)} = any(external_ids)`;
    const seventh = await run();
    assert.equal(seventh.recordsRecognised, RECORDS - BATCH, 'page 1 read whole on its retry, the others recognised');
    assert.equal(seventh.entity.changedRecordCount, '1');
    assert.equal(seventh.entity.unchangedRecordCount, String(RECORDS - 1));
    assert.equal((await destination()).find((r) => r.id === String(records[2]!.id))?.name, 'Renamed Again');
    assert.equal((await destination()).length, RECORDS, 'nothing duplicated or lost');
    const [page1] = await remembered();
    assert.equal(page1!.hashes, records.slice(0, BATCH).map((r) => hashObject(r)).join(''), 'remembered afresh');
  });

  test('records moved by an insert are known by their bytes wherever they moved on their page', async () => {
    // A record at the front shifts every other one: each page's answer is new, and each page's
    // first record comes from the page before, which its own memory does not hold.
    const added = { ...records[0]!, id: 9000, name: 'Newcomer' };
    records = [added, ...records];
    source.setRecords(records);
    const eighth = await run();
    assert.equal(eighth.recognised, 0);
    assert.equal(eighth.recordsRecognised, RECORDS + 1 - PAGES, 'all but the first record of each page');
    assert.equal(eighth.entity.newRecordCount, '1');
    assert.equal(eighth.entity.unchangedRecordCount, String(RECORDS));
    const rows = await destination();
    assert.equal(rows.length, RECORDS + 1);
    assert.equal(rows.find((r) => r.id === '9000')?.name, 'Newcomer');
    const pages = await remembered();
    assert.deepEqual(pages.flatMap((p) => p.external_ids), records.map((r) => String(r.id)));
    assert.equal(pages.map((p) => p.hashes).join(''), records.map((r) => hashObject(r)).join(''));
  });

  test('an id twice on a page read record by record rejects both copies, logged, and leaves its row as it was', async () => {
    const twice = records[2]!;
    const before = (await destination()).find((r) => r.id === String(twice.id));
    records = [...records.slice(0, 3), { ...twice, name: 'Second Copy' }, ...records.slice(3)];
    source.setRecords(records);
    // A run with records it could not take ends with a warning, as one with refused records does.
    const ninth = await run('WARNING');
    assert.ok(ninth.recordsRecognised > 0, 'the pages were read record by record');
    const failed = await sql()<{ origin_id: string; error: string }[]>`
      select origin_id, error from run_log_entries where run_id = ${ninth.runId}::uuid and action = 'failed'`;
    assert.deepEqual(
      failed.map((f) => ({ ...f })),
      [{ origin_id: String(twice.id), error: `id: duplicate external id ${twice.id} appears 2 times in one page; all copies rejected` }],
    );
    assert.deepEqual((await destination()).find((r) => r.id === String(twice.id)), before, 'neither copy was written');
  });
});
