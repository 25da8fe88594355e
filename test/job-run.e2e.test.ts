// The spine end to end: a job syncs a paginated HTTP JSON source into a PostgreSQL table through
// the run workflow, started and followed through the API. Real Temporal dev server, real
// PostgreSQL, real local HTTP source.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { JsonObject } from '../activities/connectors/types';
import { SynclineJobId, SynclineRunId, SynclineTrigger } from '../workflows/search-attributes';
import { createHttpToPostgresJob } from './helpers/fixtures';
import { largestPayloadBytes, workflowHistories } from './helpers/history';
import { generateRecords, startSourceServer, type SourceServer } from './helpers/source-server';
import { call, startTestStack, waitForRun, type TestStack } from './helpers/stack';

const RECORDS = 2_500;
const PAGE_SIZE = 100;

describe('job run: HTTP JSON source → PostgreSQL table', () => {
  let stack: TestStack;
  let source: SourceServer;
  let jobId: number;
  let firstRunId: string;

  before(async () => {
    [stack, source] = await Promise.all([startTestStack(), startSourceServer({ records: generateRecords(RECORDS) })]);
    ({ jobId } = await createHttpToPostgresJob(stack.app, { sourceUrl: source.url, database: stack.database, batchSize: PAGE_SIZE }));
  });

  after(async () => {
    await Promise.allSettled([stack?.stop(), source?.close()]);
  });

  const destinationRows = () =>
    stack.database.sql<{ id: string; xmin: string; name: string; score: string; label: string; synced_at: string }[]>`
      select _syncline_id as id, xmin::text as xmin, name, score::text as score, label, _syncline_synced_at::text as synced_at
      from warehouse.accounts order by _syncline_id`;

  test('run 1 imports every record, and a second execute meanwhile answers 409', async () => {
    source.delayMs = 20; // long enough that the second execute lands while run 1 runs
    const started = await call(stack.app, 'POST', `/api/v1/jobs/${jobId}/execute`);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    firstRunId = started.body.runId;
    assert.equal(started.headers.get('location'), `/api/v1/runs/${firstRunId}`);

    const second = await call(stack.app, 'POST', `/api/v1/jobs/${jobId}/execute`, {});
    assert.equal(second.status, 409, JSON.stringify(second.body));
    assert.equal(second.headers.get('content-type'), 'application/problem+json');
    assert.equal(second.body.code, 'CONFLICT');
    assert.equal(second.body.runId, firstRunId);
    assert.match(second.body.detail, new RegExp(firstRunId));

    const run = await waitForRun(stack.app, firstRunId);
    source.delayMs = 0;
    assert.equal(run.state, 'SUCCEEDED', JSON.stringify(run.errors));
    assert.equal(run.trigger, 'MANUAL');
    assert.ok(run.startTime && run.endTime);
    const [entity] = run.entityRuns;
    assert.equal(entity.extractedRecordCount, '2500');
    assert.equal(entity.newRecordCount, '2500');
    assert.equal(entity.changedRecordCount, '0');
    assert.equal(entity.unchangedRecordCount, '0');
    assert.equal(entity.errorRecordCount, '0');
    assert.ok(Number(entity.sourceApiRequestCount) >= RECORDS / PAGE_SIZE, entity.sourceApiRequestCount);
    assert.deepEqual(entity.progress, { currentCount: '2500', totalCount: '2500', percentile: 1 });

    const rows = await destinationRows();
    assert.equal(rows.length, RECORDS);
    const sample = source.records[41] as JsonObject;
    const row = rows.find((r) => r.id === String(sample.id))!;
    assert.equal(row.name, sample.name);
    assert.equal(Number(row.score), sample.score);
    assert.equal(row.label, `${String(sample.name)} <${String(sample.email)}>`);

    // Temporal UI can find the run by job, workspace, trigger and run id.
    const described = await stack.env.client.workflow.getHandle(run.workflowId, run.temporalRunId).describe();
    assert.equal(described.typedSearchAttributes.get(SynclineJobId), String(jobId));
    assert.equal(described.typedSearchAttributes.get(SynclineTrigger), 'MANUAL');
    assert.equal(described.typedSearchAttributes.get(SynclineRunId), firstRunId);

    // The run's second-execute attempt left no second run behind.
    const history = await call(stack.app, 'GET', `/api/v1/jobs/${jobId}/history`);
    assert.deepEqual(history.body.items.map((r: { id: string }) => r.id), [firstRunId]);
  });

  test('the workflow history of run 1 holds no record data', async () => {
    const run = (await call(stack.app, 'GET', `/api/v1/runs/${firstRunId}`)).body;
    const histories = await workflowHistories(stack.env.client, run.workflowId, run.temporalRunId);
    assert.ok(histories.length >= 1);
    const largest = Math.max(...histories.map(largestPayloadBytes));
    assert.ok(largest > 0, 'the history has payloads');
    assert.ok(largest < 10 * 1024, `largest payload ${largest} bytes`);
    // No record value appears anywhere in the history.
    const text = JSON.stringify(histories, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v));
    assert.ok(!text.includes(String((source.records[7] as JsonObject).email)), 'a record email leaked into history');
  });

  test('run 2 with the source unchanged reports 2,500 unchanged and rewrites no destination row', async () => {
    const before = await destinationRows();
    const started = await call(stack.app, 'POST', `/api/v1/jobs/${jobId}/execute`);
    assert.equal(started.status, 202);
    const run = await waitForRun(stack.app, started.body.runId);
    assert.equal(run.state, 'SUCCEEDED', JSON.stringify(run.errors));
    const [entity] = run.entityRuns;
    assert.equal(entity.newRecordCount, '0');
    assert.equal(entity.changedRecordCount, '0');
    assert.equal(entity.unchangedRecordCount, '2500');
    const afterRows = await destinationRows();
    assert.deepEqual(
      afterRows.map((r) => [r.id, r.xmin, r.synced_at]),
      before.map((r) => [r.id, r.xmin, r.synced_at]),
    );
  });

  test('run 3 after 3 records change reports exactly 3 changed and writes their new values', async () => {
    const before = new Map((await destinationRows()).map((r) => [r.id, r.xmin]));
    const changedIds = [5, 1234, 2500];
    source.setRecords(
      source.records.map((r) => (changedIds.includes(Number(r.id)) ? { ...r, name: `Renamed ${String(r.id)}`, score: 99.5 } : r)),
    );
    const started = await call(stack.app, 'POST', `/api/v1/jobs/${jobId}/execute`);
    const run = await waitForRun(stack.app, started.body.runId);
    assert.equal(run.state, 'SUCCEEDED', JSON.stringify(run.errors));
    const [entity] = run.entityRuns;
    assert.equal(entity.newRecordCount, '0');
    assert.equal(entity.changedRecordCount, '3');
    assert.equal(entity.unchangedRecordCount, '2497');

    const rows = await destinationRows();
    assert.equal(rows.length, RECORDS);
    for (const row of rows) {
      if (changedIds.includes(Number(row.id))) {
        assert.equal(row.name, `Renamed ${row.id}`);
        assert.equal(Number(row.score), 99.5);
        assert.notEqual(row.xmin, before.get(row.id));
      } else {
        assert.equal(row.xmin, before.get(row.id), `row ${row.id} was rewritten`);
      }
    }

    const history = await call(stack.app, 'GET', `/api/v1/jobs/${jobId}/history?limit=2`);
    assert.equal(history.body.items.length, 2);
    assert.equal(history.body.items[0].id, started.body.runId);
    assert.ok(history.body.nextCursor);
    const rest = await call(stack.app, 'GET', `/api/v1/jobs/${jobId}/history?limit=2&cursor=${history.body.nextCursor}`);
    assert.deepEqual(rest.body.items.map((r: { id: string }) => r.id), [firstRunId]);
    assert.equal(rest.body.nextCursor, null);

    const status = await call(stack.app, 'GET', `/api/v1/jobs/${jobId}/status`);
    assert.equal(status.status, 200);
    assert.equal(status.body.running, false);
    assert.equal(status.body.run.id, started.body.runId);
  });
});
