// Long runs continue as new with their cursor and counters, histories replay deterministically,
// and a failing upstream is retried without losing or duplicating a record.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { startRun } from '../api/run-starter';
import { findJob } from '../api/lookups';
import { bundleWorkflows } from '../worker/create-worker';
import { createHttpToPostgresJob, type HttpToPostgresJob } from './helpers/fixtures';
import { completedResult, eventCount, scheduledActivities, workflowHistories } from './helpers/history';
import { generateRecords, startSourceServer, type SourceServer } from './helpers/source-server';
import { call, startTestStack, waitForRun, type TestStack } from './helpers/stack';

const RECORDS = 1_200;
const PAGE_SIZE = 100;

describe('job run durability', () => {
  let stack: TestStack;
  let source: SourceServer;
  let job: HttpToPostgresJob;

  before(async () => {
    [stack, source] = await Promise.all([startTestStack(), startSourceServer({ records: generateRecords(RECORDS) })]);
    job = await createHttpToPostgresJob(stack.app, { sourceUrl: source.url, database: stack.database, batchSize: PAGE_SIZE });
  });

  after(async () => {
    await Promise.allSettled([stack?.stop(), source?.close()]);
  });

  const destinationCount = async () => {
    const [row] = await stack.database.sql<{ n: number }[]>`select count(*)::int as n from ${stack.database.sql(job.table)}`;
    return row!.n;
  };

  test('a run continues as new every few pages and still counts every record once', async () => {
    const found = await findJob(stack.deps.db, job.jobId);
    const { runId, workflowId } = await startRun(stack.deps, { kind: 'job', workspaceId: found.workspaceId, jobId: found.id }, { trigger: 'MANUAL', pagesPerExecution: 4 });
    const run = await waitForRun(stack.app, runId);
    assert.equal(run.state, 'SUCCEEDED', JSON.stringify(run.errors));
    const [entity] = run.entityRuns;
    assert.equal(entity.extractedRecordCount, String(RECORDS));
    assert.equal(entity.newRecordCount, String(RECORDS));
    assert.equal(await destinationCount(), RECORDS);

    const histories = await workflowHistories(stack.env.client, workflowId, run.temporalRunId);
    // 12 pages (the source's total tells when to stop) at 4 pages per execution: 3 executions.
    assert.equal(histories.length, 3);
    for (const history of histories.slice(0, -1)) {
      assert.ok(history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes, 'ended by continue-as-new');
    }
    assert.ok(histories.every((h) => eventCount(h) < 2_000));

    // Each page (with a PostgreSQL destination) is imported, synchronised and exported by an
    // import, which goes on with the next pages for a while but never past the execution's page
    // budget: the imports cover the pages once each, in order, and no synchronisePage is scheduled.
    const imports = histories.flatMap((h) => {
      const scheduled = scheduledActivities(h).filter((a) => a.type === 'importPage');
      return scheduled.map((a) => ({ pageNo: a.args.pageNo as number, synchronise: a.args.synchronise, pages: completedResult(h, a.eventId)?.pages as number }));
    });
    let next = 0;
    for (const imported of imports) {
      assert.equal(imported.pageNo, next, JSON.stringify(imports));
      assert.ok(imported.pages >= 1 && imported.pages <= 4, JSON.stringify(imports));
      assert.equal(imported.synchronise, true);
      next += imported.pages;
    }
    assert.equal(next, RECORDS / PAGE_SIZE);
    assert.ok(imports.some((i) => i.pages > 1), 'an import went on with the next pages');
    assert.equal(histories.flatMap(scheduledActivities).filter((a) => a.type === 'synchronisePage').length, 0);

    // Every execution of the chain replays against today's workflow code.
    const workflowBundle = await bundleWorkflows();
    for (const history of histories) {
      await Worker.runReplayHistory({ workflowBundle }, history, workflowId);
    }
  });

  test('a dry run stages its pages: the next page is imported while the one before it synchronises', async () => {
    const started = await call(stack.app, 'POST', `/api/v1/jobs/${job.jobId}/execute`, { dryRun: true });
    assert.equal(started.status, 202);
    const run = await waitForRun(stack.app, started.body.runId);
    assert.equal(run.state, 'SUCCEEDED', JSON.stringify(run.errors));
    assert.equal(run.entityRuns[0].unchangedRecordCount, String(RECORDS));
    const [first] = await workflowHistories(stack.env.client, run.workflowId, run.temporalRunId);
    const scheduled = scheduledActivities(first!);
    const synchronising = scheduled.find((a) => a.type === 'synchronisePage' && a.args.pageNo === 0);
    const nextImport = scheduled.find((a) => a.type === 'importPage' && a.args.pageNo === 1);
    assert.ok(synchronising && nextImport, 'page 0 synchronised and page 1 imported');
    const synchronised = first!.events!.find((e) => Number(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? 0) === synchronising.eventId);
    assert.ok(synchronised, 'page 0 synchronised');
    assert.ok(nextImport.eventId < Number(synchronised.eventId), 'page 1 import scheduled before page 0 finished synchronising');
  });

  test('source errors are retried: the run succeeds with every record exactly once', async () => {
    source.setRecords(source.records.map((r) => (Number(r.id) % 100 === 0 ? { ...r, name: `${String(r.name)} (v2)` } : r)));
    source.failNext(503, 2);
    const requestsBefore = source.requestCount;
    const started = await call(stack.app, 'POST', `/api/v1/jobs/${job.jobId}/execute`);
    assert.equal(started.status, 202);
    const run = await waitForRun(stack.app, started.body.runId);
    assert.equal(run.state, 'SUCCEEDED', JSON.stringify(run.errors));
    const [entity] = run.entityRuns;
    assert.equal(entity.extractedRecordCount, String(RECORDS));
    assert.equal(entity.changedRecordCount, String(RECORDS / 100));
    assert.equal(entity.unchangedRecordCount, String(RECORDS - RECORDS / 100));
    assert.equal(entity.newRecordCount, '0');
    assert.equal(await destinationCount(), RECORDS);
    // The two failed requests were made and retried.
    assert.equal(source.requestCount - requestsBefore, RECORDS / PAGE_SIZE + 2);
    const [renamed] = await stack.database.sql<{ name: string }[]>`select name from warehouse.accounts where _syncline_id = '300'`;
    assert.match(renamed!.name, /\(v2\)$/);
  });

  test('a page read ahead that the source failed is read again by its own import: no retry, nothing lost', async () => {
    // Page 4 fails once. The import of page 3 reads it ahead; the import of page 4 finds the failed
    // read and asks again, within its first attempt.
    let failed = false;
    source.failMatching = { match: (url) => url.searchParams.get('page') === '4' && !failed && (failed = true), status: 503 };
    const requestsBefore = source.requests.length;
    try {
      const found = await findJob(stack.deps.db, job.jobId);
      const { runId, workflowId } = await startRun(stack.deps, { kind: 'job', workspaceId: found.workspaceId, jobId: found.id }, { trigger: 'MANUAL' });
      const run = await waitForRun(stack.app, runId);
      assert.equal(run.state, 'SUCCEEDED', JSON.stringify(run.errors));
      assert.equal(run.entityRuns[0].extractedRecordCount, String(RECORDS));
      assert.equal(await destinationCount(), RECORDS);
      assert.ok(failed, 'the source failed page 4 once');
      const pageFour = source.requests.slice(requestsBefore).filter((r) => new URL(r, source.url).searchParams.get('page') === '4');
      assert.equal(pageFour.length, 2, 'page 4 asked for twice: ahead (failed), then by its import');
      const histories = await workflowHistories(stack.env.client, workflowId, run.temporalRunId);
      const attempts = histories.flatMap((h) => h.events ?? []).flatMap((e) => (e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.attempt ?? 1] : []));
      assert.ok(attempts.length > 0 && attempts.every((a) => a === 1), `every activity succeeded on its first attempt: ${attempts.join(',')}`);
    } finally {
      source.failMatching = null;
    }
  });

  test('a source that refuses the credentials fails the run with a stable error code', async () => {
    source.failNext(401, 1);
    const started = await call(stack.app, 'POST', `/api/v1/jobs/${job.jobId}/execute`);
    const run = await waitForRun(stack.app, started.body.runId);
    assert.equal(run.state, 'FAILED');
    assert.deepEqual(run.errors.map((e: { code: string }) => e.code), ['SOURCE_HTTP_401']);
    assert.equal(run.entityRuns[0].state, 'FAILED');
    assert.equal(run.entityRuns[0].errors[0].code, 'SOURCE_HTTP_401');
    // The failed run does not block the next one.
    const next = await call(stack.app, 'POST', `/api/v1/jobs/${job.jobId}/execute`);
    assert.equal(next.status, 202);
    assert.equal((await waitForRun(stack.app, next.body.runId)).state, 'SUCCEEDED');
  });
});
