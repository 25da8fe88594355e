// The run lifecycle against the real stack: cancel mid-run, pause and resume at page boundaries,
// a workflow terminated outside Syncline, live progress over server-sent events.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { reconcileLiveRuns, startRunReconciler } from '../api/run-reconciler';
import { resolveTemporalCli } from '../scripts/temporal-cli';
import { createHttpToPostgresJob, type HttpToPostgresJob } from './helpers/fixtures';
import { generateRecords, startSourceServer, type SourceServer } from './helpers/source-server';
import { call, startTestStack, waitForRun, type TestStack } from './helpers/stack';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('run lifecycle: cancel, pause, resume, reconcile, events', () => {
  let stack: TestStack;
  let source: SourceServer;
  let job: HttpToPostgresJob;

  before(async () => {
    [stack, source] = await Promise.all([startTestStack(), startSourceServer({ records: generateRecords(20_000) })]);
    job = await createHttpToPostgresJob(stack.app, { sourceUrl: source.url, database: stack.database, batchSize: 100 });
  });

  after(async () => {
    await Promise.allSettled([stack?.stop(), source?.close()]);
  });

  const runsOfJob = async () => (await stack.database.sql<{ n: number }[]>`select count(*)::int as n from runs where job_id = ${job.jobId}`)[0]!.n;

  test('cancel mid-run of a 20,000-record task: CANCELLED within 30 s, contracts match the destination, no later run', async () => {
    // Each page answered 100 ms late (up to three asked at once): the run lasts seconds, so the
    // cancel meets it mid-run however fast the pages are written.
    source.delayMs = 100;
    const started = await call(stack.app, 'POST', `/api/v1/jobs/${job.jobId}/execute`);
    assert.equal(started.status, 202);
    const { runId } = started.body;
    // Let a few pages land first, so the cancel arrives mid-run.
    await waitForRun(stack.app, runId, { until: (run) => Number(run.entityRuns[0]?.extractedRecordCount ?? 0) >= 300 });

    const requestedAt = Date.now();
    const cancelled = await call(stack.app, 'POST', `/api/v1/jobs/${job.jobId}/cancel`);
    assert.equal(cancelled.status, 202, JSON.stringify(cancelled.body));
    assert.equal(cancelled.body.runId, runId);
    assert.equal(cancelled.headers.get('location'), `/api/v1/runs/${runId}`);
    const run = await waitForRun(stack.app, runId, { timeoutMs: 30_000 });
    assert.equal(run.state, 'CANCELLED');
    assert.ok(Date.now() - requestedAt < 30_000);
    assert.equal(run.entityRuns[0].state, 'CANCELLED');
    const extracted = Number(run.entityRuns[0].extractedRecordCount);
    assert.ok(extracted > 0 && extracted < 20_000, `cancelled mid-run, extracted ${extracted}`);
    source.delayMs = 0;

    // Every contract that says "written" has its row, and every row has its contract.
    const [consistency] = await stack.database.sql<{ contracts: number; rows: number; mismatched: number }[]>`
      with written as (select origin_id from contracts where task_id = ${job.taskId} and target_hash is not null)
      select
        (select count(*)::int from written) as contracts,
        (select count(*)::int from warehouse.accounts) as rows,
        (select count(*)::int from written w where not exists (select 1 from warehouse.accounts a where a._syncline_id = w.origin_id))
          + (select count(*)::int from warehouse.accounts a where not exists (select 1 from written w where w.origin_id = a._syncline_id)) as mismatched`;
    const { contracts, rows, mismatched } = consistency!;
    assert.ok(rows > 0, 'some pages were written before the cancel');
    assert.equal(contracts, rows);
    assert.equal(mismatched, 0);

    // Nothing starts afterwards: the cancel did not leave a run behind or start a new one.
    await sleep(2_000);
    assert.equal(await runsOfJob(), 1);
    const status = await call(stack.app, 'GET', `/api/v1/jobs/${job.jobId}/status`);
    assert.equal(status.body.running, false);
    assert.equal(status.body.run.id, runId);
    const open = stack.env.client.workflow.list({ query: `WorkflowId = "job-${job.jobId}" AND ExecutionStatus = "Running"` });
    for await (const execution of open) assert.fail(`workflow ${execution.workflowId} still running after cancel`);
  });

  test('cancel answers 409 when nothing runs and 404 for an unknown job', async () => {
    const none = await call(stack.app, 'POST', `/api/v1/jobs/${job.jobId}/cancel`);
    assert.equal(none.status, 409);
    assert.equal(none.body.code, 'CONFLICT');
    assert.match(none.body.detail, /no run in progress/);
    assert.equal((await call(stack.app, 'POST', '/api/v1/jobs/999999/cancel')).status, 404);
    assert.equal((await call(stack.app, 'POST', '/api/v1/jobs/abc/cancel')).status, 400);
  });

  test('pause for 3 s: no source request after the page in flight; resume finishes the same run with full counts', async () => {
    await stack.database.sql`truncate warehouse.accounts`;
    await stack.database.sql`delete from contracts where task_id = ${job.taskId}`;
    source.records = generateRecords(3_000, 7);
    // 30 pages answered 200 ms late (up to three asked at once): about two seconds of run for the
    // pause to meet, however fast the pages are written.
    source.delayMs = 200;
    const { runId } = (await call(stack.app, 'POST', `/api/v1/jobs/${job.jobId}/execute`)).body;
    const early = await waitForRun(stack.app, runId, { until: (run) => Number(run.entityRuns[0]?.extractedRecordCount ?? 0) >= 200 });
    assert.equal(early.state, 'RUNNING', 'the run is still under way when the pause is sent');

    const paused = await call(stack.app, 'POST', `/api/v1/jobs/${job.jobId}/pause`);
    assert.equal(paused.status, 202, JSON.stringify(paused.body));
    assert.equal(paused.body.runId, runId);
    const pausedRun = (await call(stack.app, 'GET', `/api/v1/runs/${runId}`)).body;
    assert.equal(pausedRun.state, 'RUNNING');
    assert.equal(pausedRun.paused, true);
    assert.ok(pausedRun.latestPauseTime);
    assert.equal((await call(stack.app, 'GET', `/api/v1/jobs/${job.jobId}`)).body.paused, true);

    // The page in flight may still finish (one request at most); after that the source hears nothing.
    await sleep(1_000);
    const settled = source.requestCount;
    await sleep(3_000);
    assert.equal(source.requestCount, settled, 'no source request while paused');
    const stillPaused = (await call(stack.app, 'GET', `/api/v1/runs/${runId}`)).body;
    assert.equal(stillPaused.state, 'RUNNING');
    assert.ok(Number(stillPaused.entityRuns[0].extractedRecordCount) < 3_000);

    const resumed = await call(stack.app, 'POST', `/api/v1/jobs/${job.jobId}/resume`);
    assert.equal(resumed.status, 202, JSON.stringify(resumed.body));
    assert.equal(resumed.body.runId, runId, 'resume continues the same run');
    const run = await waitForRun(stack.app, runId, { timeoutMs: 60_000 });
    source.delayMs = 0;
    assert.equal(run.state, 'SUCCEEDED', JSON.stringify(run.errors));
    assert.equal(run.paused, false);
    assert.ok(run.latestPauseTime);
    // The same counts an unpaused run over 3,000 fresh records reports.
    const [entity] = run.entityRuns;
    assert.equal(entity.extractedRecordCount, '3000');
    assert.equal(entity.indexedRecordCount, '3000');
    assert.equal(entity.errorRecordCount, '0');
    assert.equal(entity.sourceApiRequestCount, '30');
    const [destination] = await stack.database.sql<{ n: number }[]>`select count(*)::int as n from warehouse.accounts`;
    assert.equal(destination!.n, 3_000);
  });

  test('resume of a paused job with no run in flight starts a RESUME run; resume of an unpaused job is 409', async () => {
    const notPaused = await call(stack.app, 'POST', `/api/v1/jobs/${job.jobId}/resume`);
    assert.equal(notPaused.status, 409);
    const paused = await call(stack.app, 'POST', `/api/v1/jobs/${job.jobId}/pause`);
    assert.equal(paused.status, 202);
    assert.equal(paused.body.runId, null);
    const resumed = await call(stack.app, 'POST', `/api/v1/jobs/${job.jobId}/resume`);
    assert.equal(resumed.status, 202, JSON.stringify(resumed.body));
    assert.ok(resumed.body.runId);
    const run = await waitForRun(stack.app, resumed.body.runId);
    assert.equal(run.trigger, 'RESUME');
    assert.equal(run.state, 'SUCCEEDED', JSON.stringify(run.errors));
    assert.equal(run.entityRuns[0].unchangedRecordCount, '3000');
    assert.equal((await call(stack.app, 'GET', `/api/v1/jobs/${job.jobId}`)).body.paused, false);
    assert.equal((await call(stack.app, 'POST', '/api/v1/jobs/999999/pause')).status, 404);
    assert.equal((await call(stack.app, 'POST', '/api/v1/jobs/999999/resume')).status, 404);
  });

  test('a workflow terminated with the Temporal CLI shows FAILED in the API within 30 s', async () => {
    const reconciler = startRunReconciler(stack.deps, 1_000);
    try {
      // Slow enough that the run is still going when its first counts show (every 2 s).
      source.delayMs = 150;
      const { runId } = (await call(stack.app, 'POST', `/api/v1/jobs/${job.jobId}/execute`)).body;
      await waitForRun(stack.app, runId, { until: (run) => run.state === 'RUNNING' && Number(run.entityRuns[0]?.extractedRecordCount ?? 0) > 0 });
      const cli = await resolveTemporalCli();
      assert.ok(cli, 'a Temporal CLI is available');
      const address = stack.env.connection.options.address;
      await promisify(execFile)(cli, ['workflow', 'terminate', '--address', address, '--workflow-id', `job-${job.jobId}`, '--reason', 'test: terminated by hand']);
      const terminatedAt = Date.now();
      const run = await waitForRun(stack.app, runId, { timeoutMs: 30_000 });
      assert.ok(Date.now() - terminatedAt < 30_000);
      assert.equal(run.state, 'FAILED');
      assert.deepEqual(run.errors.map((e: { code: string }) => e.code), ['RUN_TERMINATED']);
      assert.equal(run.entityRuns[0].state, 'FAILED');
      assert.ok(run.endTime);
    } finally {
      source.delayMs = 0;
      await reconciler.stop();
    }
    // A sweep over nothing live changes nothing.
    assert.deepEqual(await reconcileLiveRuns(stack.deps), []);
  });

  test('/runs/{id}/events streams progress events before the end event of a multi-page run', async () => {
    source.delayMs = 40;
    const { runId } = (await call(stack.app, 'POST', `/api/v1/jobs/${job.jobId}/execute`)).body;
    const res = await stack.app.request(`/api/v1/runs/${runId}/events`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const text = await res.text(); // the stream ends with the run
    source.delayMs = 0;
    const events = [...text.matchAll(/event: (\w+)\ndata: (.*)\n/g)].map((m) => ({ event: m[1], run: JSON.parse(m[2]!) }));
    const progress = events.filter((e) => e.event === 'progress');
    assert.ok(progress.length >= 1, `progress events: ${progress.length}`);
    assert.equal(events.at(-1)!.event, 'end');
    assert.equal(events.at(-1)!.run.state, 'SUCCEEDED');
    assert.ok(events.findIndex((e) => e.event === 'end') > events.findIndex((e) => e.event === 'progress'));
    // An ended run answers its end at once; an unknown one is 404.
    const again = await (await stack.app.request(`/api/v1/runs/${runId}/events`)).text();
    assert.match(again, /^event: end/m);
    assert.equal((await stack.app.request('/api/v1/runs/00000000-0000-4000-8000-000000000000/events')).status, 404);
  });

  test('GET /runs filters by job, state and trigger; history/{runId} answers one run of the job', async () => {
    const all = await call(stack.app, 'GET', `/api/v1/runs?jobId=${job.jobId}&limit=2`);
    assert.equal(all.status, 200);
    assert.equal(all.body.items.length, 2);
    assert.ok(all.body.nextCursor);
    const cancelled = await call(stack.app, 'GET', `/api/v1/runs?jobId=${job.jobId}&state=CANCELLED`);
    assert.equal(cancelled.body.items.length, 1);
    const resumes = await call(stack.app, 'GET', `/api/v1/runs?workspaceId=${job.workspaceId}&trigger=RESUME`);
    assert.equal(resumes.body.items.length, 1);
    assert.equal(resumes.body.items[0].trigger, 'RESUME');
    assert.equal((await call(stack.app, 'GET', '/api/v1/runs?state=NOPE')).status, 400);

    const runId = cancelled.body.items[0].id;
    const one = await call(stack.app, 'GET', `/api/v1/jobs/${job.jobId}/history/${runId}`);
    assert.equal(one.status, 200);
    assert.equal(one.body.id, runId);
    assert.equal((await call(stack.app, 'GET', `/api/v1/jobs/${job.jobId}/history/00000000-0000-4000-8000-000000000000`)).status, 404);
    assert.equal((await call(stack.app, 'GET', `/api/v1/jobs/999999/history/${runId}`)).status, 404);
  });
});
