// Schedules on Temporal Schedules, end to end against a real Temporal dev server, PostgreSQL and a
// local HTTP source: job crons, multi-step schedules, overlap (OVERRUN and SKIPPED), pause,
// unpause, trigger, backfill, validation, search attributes, and the two sides kept in step.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { ScheduleNotFoundError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { eq } from 'drizzle-orm';
import { startRunReconciler } from '../api/run-reconciler';
import { reconcileSchedules } from '../api/schedule-monitor';
import { temporalScheduleId } from '../api/schedule-spec';
import { insertSchedule, withScheduleChanges } from '../api/schedule-store';
import { schedules } from '../db/schema';
import { resolveTemporalCli } from '../scripts/temporal-cli';
import { createHttpToPostgresJob, type HttpToPostgresJob } from './helpers/fixtures';
import { generateRecords, startSourceServer, type SourceServer } from './helpers/source-server';
import { call, startTestStack, testWorkflowBundle, type TestStack } from './helpers/stack';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const LIVE = ['PENDING', 'RUNNING', 'OVERRUN'];
/** A cron that never fires while the tests run (midnight, 1 January). */
const NEVER = '0 0 1 1 *';

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

describe('schedules', () => {
  let stack: TestStack;
  let source: SourceServer;
  let slowSource: SourceServer;
  let base: HttpToPostgresJob;
  let sweeper: { stop(): Promise<void> };
  let connections: { sourceConnectionId: number; destinationConnectionId: number };
  let mappingId: number;

  const runsOf = async (query: string): Promise<any[]> => {
    const res = await call(stack.app, 'GET', `/api/v1/runs?limit=500&${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.items;
  };
  const scheduleRuns = async (scheduleId: number) => (await runsOf(`scheduleId=${scheduleId}`)).filter((r) => r.parentRunId === null);

  /** A job in the base workspace reading `path` of the source into its own table. */
  const createJob = async (name: string, paths: string[], options: Record<string, unknown> = {}, sourceConnectionId = connections.sourceConnectionId) => {
    const job = await call(stack.app, 'POST', `/api/v1/workspaces/${base.workspaceId}/jobs`, {
      name,
      ...connections,
      sourceConnectionId,
      batchSize: 100,
      ...options,
    });
    assert.equal(job.status, 201, JSON.stringify(job.body));
    for (const [i, path] of paths.entries()) {
      const task = await call(stack.app, 'POST', `/api/v1/jobs/${job.body.id}/tasks`, {
        sourceEntity: path,
        targetEntity: `${name.replace(/\W/g, '_')}_${i}`,
        resultsPosition: 'data.items',
        mappingId,
      });
      assert.equal(task.status, 201, JSON.stringify(task.body));
    }
    return job.body.id as number;
  };

  const createSchedule = async (body: Record<string, unknown>) => {
    const res = await call(stack.app, 'POST', '/api/v1/schedules', { workspaceId: base.workspaceId, timezone: 'UTC', ...body });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body;
  };

  /** Triggers the schedule and waits for the schedule run it starts to end. */
  const triggerAndWait = async (scheduleId: number): Promise<{ parent: any; steps: any[] }> => {
    const seen = new Set((await scheduleRuns(scheduleId)).map((r) => r.id));
    const res = await call(stack.app, 'POST', `/api/v1/schedules/${scheduleId}/trigger`);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const parent = await until(
      `schedule ${scheduleId}'s triggered run to end`,
      async () => (await scheduleRuns(scheduleId)).find((r) => !seen.has(r.id) && !LIVE.includes(r.state)),
      90_000,
    );
    const steps = await runsOf(`parentRunId=${parent.id}`);
    return { parent, steps };
  };

  /** Waits until none of the job's runs is live. */
  const untilNoLiveRun = (jobId: number) =>
    until(`job ${jobId} to have no live run`, async () => (await runsOf(`jobId=${jobId}`)).every((r) => !LIVE.includes(r.state)), 60_000);

  /** Stops a job's schedule firing and waits until the job has no live run. */
  const quiesceJob = async (jobId: number, cron: string) => {
    const job = (await call(stack.app, 'GET', `/api/v1/jobs/${jobId}`)).body;
    const { id: _id, workspaceId: _w, paused: _p, createdAt: _c, updatedAt: _u, ...body } = job;
    const res = await call(stack.app, 'PUT', `/api/v1/jobs/${jobId}`, { ...body, schedule: { enabled: false, cron } });
    if (res.status === 409) {
      // The job is mid-run: wait for it, then disable.
      await untilNoLiveRun(jobId);
      return quiesceJob(jobId, cron);
    }
    assert.equal(res.status, 200, JSON.stringify(res.body));
    await untilNoLiveRun(jobId);
  };

  before(async () => {
    [stack, source, slowSource] = await Promise.all([
      startTestStack(),
      startSourceServer({ records: generateRecords(5) }),
      startSourceServer({ records: generateRecords(20) }),
    ]);
    base = await createHttpToPostgresJob(stack.app, { sourceUrl: source.url, database: stack.database, batchSize: 100 });
    const job = (await call(stack.app, 'GET', `/api/v1/jobs/${base.jobId}`)).body;
    connections = { sourceConnectionId: job.sourceConnectionId, destinationConnectionId: job.destinationConnectionId };
    mappingId = (await call(stack.app, 'GET', `/api/v1/jobs/${base.jobId}/tasks/${base.taskId}`)).body.mappingId;
    // The API process's sweep: overlap skips become SKIPPED runs, ended workflows settle their runs.
    sweeper = startRunReconciler(stack.deps, 500);
  });

  after(async () => {
    await sweeper?.stop();
    await stack?.stop();
    await Promise.all([source?.close(), slowSource?.close()]);
  });

  test('a job scheduled every 2 s runs at least twice in 7 s, each with trigger SCHEDULER; its runs carry search attributes; deleting the job deletes its schedule', async () => {
    const created = Date.now();
    const jobId = await createJob('every two seconds', ['/records'], { schedule: { enabled: true, cron: '@every 2s' } });
    const [row] = await stack.database.db.select().from(schedules).where(eq(schedules.jobId, jobId));
    assert.ok(row, 'the job has its schedule row');
    const description = await stack.env.client.schedule.getHandle(temporalScheduleId(row.id)).describe();
    assert.equal(description.state.paused, false);

    await sleep(Math.max(0, created + 7_000 - Date.now()));
    const scheduled = (await runsOf(`jobId=${jobId}`)).filter((r) => r.state !== 'SKIPPED' && Date.parse(r.startTime ?? r.stateUpdateTime) <= created + 7_000);
    assert.ok(scheduled.length >= 2, `expected at least 2 runs in 7 s, got ${scheduled.length}: ${JSON.stringify(scheduled.map((r) => r.state))}`);
    for (const run of scheduled) {
      assert.equal(run.trigger, 'SCHEDULER');
      assert.equal(run.scheduleId, row.id);
      assert.ok(run.parentRunId, 'a scheduled job run is a step of a schedule run');
    }
    await quiesceJob(jobId, '@every 2s');

    // `temporal workflow list --query 'SynclineJobId="<id>"'` lists exactly this job's runs.
    const cli = await resolveTemporalCli();
    assert.ok(cli, 'the Temporal CLI is available');
    // Both sides are read on every try: the read model and visibility each catch up on their own
    // (a run the schedule had already started when it was disabled may land in either first).
    const recorded = async () => new Set((await runsOf(`jobId=${jobId}`)).filter((r) => r.temporalRunId).map((r) => r.temporalRunId as string));
    let expected = await recorded();
    assert.ok(expected.size >= 2);
    let listed = new Set<string>();
    await until(
      'visibility to list the job runs',
      async () => {
        expected = await recorded();
        const { stdout } = await promisify(execFile)(cli, [
          'workflow', 'list', '--address', stack.env.address, '--namespace', 'default', '--query', `SynclineJobId="${jobId}"`, '--output', 'json',
        ]);
        const rows = (stdout.trim() ? JSON.parse(stdout) : []) as Array<{ execution: { workflowId: string; runId: string } }>;
        listed = new Set(rows.map((r) => r.execution.runId));
        return listed.size === expected.size && [...expected].every((id) => listed.has(id));
      },
      20_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}: the read model has ${JSON.stringify([...expected])}, visibility lists ${JSON.stringify([...listed])}`);
    });
    assert.deepEqual([...listed].sort(), [...expected].sort());

    // A run the schedule had already started when it was disabled can land after the wait above
    // (seen on a loaded machine, where a schedule call took 5 s); deleting a running job is refused.
    await untilNoLiveRun(jobId);
    const deleted = await call(stack.app, 'DELETE', `/api/v1/jobs/${jobId}`);
    assert.equal(deleted.status, 204, JSON.stringify(deleted.body));
    assert.equal((await stack.database.db.select().from(schedules).where(eq(schedules.id, row.id))).length, 0);
    await assert.rejects(stack.env.client.schedule.getHandle(temporalScheduleId(row.id)).describe(), ScheduleNotFoundError);
  });

  test('a run longer than the interval shows OVERRUN while it runs, a SKIPPED run is recorded, and no two runs of the job overlap', async () => {
    // 20 records in pages of 5, each page answered after 1.2 s: a run takes well over the 2 s interval.
    slowSource.delayMs = 1_200;
    const slowSystem = await call(stack.app, 'POST', '/api/v1/synchronisation/connected-systems', {
      workspaceId: base.workspaceId,
      name: 'slow records api',
      connectorType: 'http-json',
      config: { baseUrl: slowSource.url, pagination: { type: 'page', pageParam: 'page', sizeParam: 'pageSize' }, totalPath: 'total' },
    });
    assert.equal(slowSystem.status, 201, JSON.stringify(slowSystem.body));
    const jobId = await createJob('slow', ['/records'], { batchSize: 5, schedule: { enabled: true, cron: '@every 2s' } }, slowSystem.body.id);

    const overrun = await until('a run of the job to show OVERRUN', async () => (await runsOf(`jobId=${jobId}`)).find((r) => r.state === 'OVERRUN'), 30_000);
    assert.equal(overrun.endTime, null, 'OVERRUN is shown while the run still runs');
    const skipped = await until('a SKIPPED run', async () => (await runsOf(`jobId=${jobId}&state=SKIPPED`))[0], 30_000);
    assert.equal(skipped.trigger, 'SCHEDULER');
    assert.equal(skipped.errors[0].code, 'OVERLAP_SKIPPED');
    assert.equal(skipped.startTime, null, 'a skipped run never started');

    await quiesceJob(jobId, '@every 2s');
    const ended = (await runsOf(`jobId=${jobId}`)).find((r) => r.id === overrun.id);
    assert.equal(ended.state, 'SUCCEEDED', 'after it ends, the overrun run takes its real terminal state');

    const executed = (await runsOf(`jobId=${jobId}`))
      .filter((r) => r.startTime !== null)
      .sort((a, b) => Date.parse(a.startTime) - Date.parse(b.startTime));
    assert.ok(executed.length >= 1);
    for (let i = 1; i < executed.length; i++) {
      assert.ok(Date.parse(executed[i - 1].endTime) <= Date.parse(executed[i].startTime), `runs ${executed[i - 1].id} and ${executed[i].id} overlap`);
    }
    slowSource.delayMs = 0;
  });

  test('a three-step schedule: a failed step stops the next unless continueOnFailure; a WARNING step does not stop it', async () => {
    const first = await createJob('step one', ['/records']);
    const failing = await createJob('step two fails', ['/no-such-records']);
    const warning = await createJob('step two warns', ['/records', '/no-such-records'], { continueOnError: true });
    const third = await createJob('step three', ['/records']);
    const schedule = await createSchedule({ name: 'three steps', cron: [NEVER], steps: [{ jobId: first }, { jobId: failing }, { jobId: third }] });
    assert.deepEqual(
      schedule.steps.map((s: any) => s.stepIndex),
      [0, 1, 2],
    );

    const stopped = await triggerAndWait(schedule.id);
    assert.equal(stopped.parent.state, 'FAILED');
    assert.equal(stopped.parent.trigger, 'SCHEDULER');
    assert.match(stopped.parent.errors.at(-1).message, /continueOnFailure is false/);
    assert.deepEqual(
      stopped.steps.map((s) => [s.jobId, s.state]).sort(),
      [
        [first, 'SUCCEEDED'],
        [failing, 'FAILED'],
      ].sort(),
    );
    assert.equal((await runsOf(`jobId=${third}`)).length, 0, 'step 3 did not run');
    // The schedule run's history replays deterministically against today's workflow code.
    const history = await stack.env.client.workflow.getHandle(stopped.parent.workflowId, stopped.parent.temporalRunId).fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: await testWorkflowBundle() }, history, stopped.parent.workflowId);

    const body = { workspaceId: base.workspaceId, name: 'three steps', cron: [NEVER] };
    const continued = await call(stack.app, 'PUT', `/api/v1/schedules/${schedule.id}`, {
      ...body,
      steps: [{ jobId: first }, { jobId: failing, continueOnFailure: true }, { jobId: third }],
    });
    assert.equal(continued.status, 200, JSON.stringify(continued.body));
    const pastFailure = await triggerAndWait(schedule.id);
    assert.equal(pastFailure.parent.state, 'WARNING');
    assert.deepEqual(pastFailure.steps.find((s) => s.jobId === third)?.state, 'SUCCEEDED', 'step 3 ran after the failure');

    const warned = await call(stack.app, 'PUT', `/api/v1/schedules/${schedule.id}`, { ...body, steps: [{ jobId: first }, { jobId: warning }, { jobId: third }] });
    assert.equal(warned.status, 200);
    const pastWarning = await triggerAndWait(schedule.id);
    assert.equal(pastWarning.steps.find((s) => s.jobId === warning)?.state, 'WARNING');
    assert.equal(pastWarning.steps.find((s) => s.jobId === third)?.state, 'SUCCEEDED', 'a WARNING step does not stop the next');
    assert.equal(pastWarning.parent.state, 'WARNING');

    // Steps sharing a stepIndex run side by side.
    const parallel = await call(stack.app, 'PUT', `/api/v1/schedules/${schedule.id}`, { ...body, steps: [{ stepIndex: 0, jobId: first }, { stepIndex: 0, jobId: third }] });
    assert.equal(parallel.status, 200);
    const together = await triggerAndWait(schedule.id);
    assert.equal(together.parent.state, 'SUCCEEDED');
    assert.deepEqual(together.steps.map((s) => s.jobId).sort(), [first, third].sort());
    const [a, b] = together.steps;
    assert.ok(Date.parse(a.startTime) < Date.parse(b.endTime) && Date.parse(b.startTime) < Date.parse(a.endTime), 'the two steps overlapped in time');
  });

  test('pause stops firings, unpause resumes them, trigger runs at once, backfill starts the runs of a past window', async () => {
    const jobId = await createJob('on a schedule', ['/records']);
    const every = await createSchedule({ name: 'every second', interval: '1s', steps: [{ jobId }] });
    await until('a first firing', async () => (await scheduleRuns(every.id)).length > 0, 20_000);

    const shown = (await call(stack.app, 'GET', `/api/v1/schedules/${every.id}`)).body;
    assert.equal(shown.nextRunTimes.length, 5);
    assert.ok(shown.nextRunTimes.every((t: string) => Date.parse(t) > Date.now() - 2_000));
    assert.equal(shown.paused, false);
    assert.ok(shown.recentActions.length >= 1);
    assert.ok(shown.lastRun, 'the last run is shown');

    const paused = await call(stack.app, 'POST', `/api/v1/schedules/${every.id}/pause`);
    assert.equal(paused.status, 200);
    assert.equal(paused.body.paused, true);
    assert.deepEqual(paused.body.nextRunTimes, []);
    // A firing already under way when the pause landed may still record its run: wait until the
    // count has held for two seconds (a loaded machine can take longer than a fixed pause).
    let atPause = (await scheduleRuns(every.id)).length;
    let heldSince = Date.now();
    while (Date.now() - heldSince < 2_000) {
      await sleep(250);
      const now = (await scheduleRuns(every.id)).length;
      if (now !== atPause) [atPause, heldSince] = [now, Date.now()];
    }
    await sleep(3_000);
    assert.equal((await scheduleRuns(every.id)).length, atPause, 'no firing while paused');

    const unpaused = await call(stack.app, 'POST', `/api/v1/schedules/${every.id}/unpause`);
    assert.equal(unpaused.status, 200);
    assert.equal(unpaused.body.paused, false);
    await until('a firing after unpause', async () => (await scheduleRuns(every.id)).length > atPause, 20_000);
    assert.equal((await call(stack.app, 'POST', `/api/v1/schedules/${every.id}/pause`)).status, 200);
    await until('the schedule to go quiet', async () => (await scheduleRuns(every.id)).every((r) => !LIVE.includes(r.state)), 30_000);

    const once = await createSchedule({ name: 'on demand', cron: [NEVER], steps: [{ jobId }] });
    // Deleted in Temporal by hand: a trigger recreates it from the read model instead of failing.
    await stack.env.client.schedule.getHandle(temporalScheduleId(once.id)).delete();
    const triggered = await triggerAndWait(once.id);
    assert.equal(triggered.parent.state, 'SUCCEEDED');
    assert.equal(triggered.steps.length, 1);
    assert.equal(triggered.steps[0].trigger, 'SCHEDULER');

    // Every 10 minutes of 10:00–10:59 on 1 January: the window 10:05–10:55 holds 5 firings.
    const past = await createSchedule({ name: 'backfilled', cron: ['*/10 10 1 1 *'], steps: [{ jobId }] });
    const backfill = await call(stack.app, 'POST', `/api/v1/schedules/${past.id}/backfill`, { from: '2026-01-01T10:05:00Z', to: '2026-01-01T10:55:00Z' });
    assert.equal(backfill.status, 202, JSON.stringify(backfill.body));
    const filled = await until(
      'the 5 backfilled runs to end',
      async () => {
        const parents = await scheduleRuns(past.id);
        return parents.length >= 5 && parents.every((r) => !LIVE.includes(r.state)) && parents;
      },
      120_000,
    );
    await sleep(1_000);
    assert.equal((await scheduleRuns(past.id)).length, 5);
    assert.ok(filled.every((r: any) => r.state === 'SUCCEEDED'), JSON.stringify(filled.map((r: any) => r.state)));

    const badWindow = await call(stack.app, 'POST', `/api/v1/schedules/${past.id}/backfill`, { from: '2026-01-01T11:00:00Z', to: '2026-01-01T10:00:00Z' });
    assert.equal(badWindow.status, 400);
    assert.equal(badWindow.body.errors[0].path, 'to');
  });

  test("a job's schedule field creates, pauses, unpauses and deletes its Temporal Schedule; the job's pause holds it", async () => {
    const jobId = await createJob('schedule follows the job', ['/records'], { schedule: { enabled: false, cron: NEVER } });
    const [row] = await stack.database.db.select().from(schedules).where(eq(schedules.jobId, jobId));
    assert.ok(row);
    const handle = stack.env.client.schedule.getHandle(temporalScheduleId(row.id));
    assert.equal((await handle.describe()).state.paused, true, 'a disabled job schedule is held');

    const job = (await call(stack.app, 'GET', `/api/v1/jobs/${jobId}`)).body;
    const { id: _id, workspaceId: _w, paused: _p, createdAt: _c, updatedAt: _u, ...body } = job;
    const enabled = await call(stack.app, 'PUT', `/api/v1/jobs/${jobId}`, { ...body, schedule: { enabled: true, cron: '0 3 * * *' } });
    assert.equal(enabled.status, 200, JSON.stringify(enabled.body));
    let described = await handle.describe();
    assert.equal(described.state.paused, false);
    const listed = (await call(stack.app, 'GET', `/api/v1/schedules?jobId=${jobId}`)).body.items;
    assert.equal(listed.length, 1);
    assert.deepEqual(listed[0].cron, ['0 3 * * *']);
    assert.equal(listed[0].nextRunTimes.length, 5);
    assert.ok(listed[0].nextRunTimes.every((t: string) => t.endsWith('T03:00:00.000Z')), JSON.stringify(listed[0].nextRunTimes));

    assert.equal((await call(stack.app, 'POST', `/api/v1/jobs/${jobId}/pause`)).status, 202);
    assert.equal((await handle.describe()).state.paused, true, "the job's pause holds its schedule");
    assert.equal((await call(stack.app, 'POST', `/api/v1/schedules/${row.id}/unpause`)).status, 409, 'a job schedule is unpaused through the job');
    assert.equal((await call(stack.app, 'DELETE', `/api/v1/schedules/${row.id}`)).status, 409, 'a job schedule is deleted through the job');
    assert.equal((await call(stack.app, 'POST', `/api/v1/jobs/${jobId}/resume`)).status, 202);
    described = await handle.describe();
    assert.equal(described.state.paused, false);
    await until(`job ${jobId}'s resume run to end`, async () => (await runsOf(`jobId=${jobId}`)).every((r) => !LIVE.includes(r.state)), 60_000);

    const cleared = await call(stack.app, 'PUT', `/api/v1/jobs/${jobId}`, { ...body, schedule: { enabled: false, cron: '' } });
    assert.equal(cleared.status, 200, JSON.stringify(cleared.body));
    assert.equal((await stack.database.db.select().from(schedules).where(eq(schedules.jobId, jobId))).length, 0);
    await assert.rejects(handle.describe(), ScheduleNotFoundError);
  });

  test('a bad cron or time zone answers 400 naming the field, and nothing is created', async () => {
    const before = (await call(stack.app, 'GET', `/api/v1/schedules?workspaceId=${base.workspaceId}&limit=500`)).body.items.length;
    const badCron = await call(stack.app, 'POST', '/api/v1/schedules', { workspaceId: base.workspaceId, name: 'x', cron: ['61 * * * *'], steps: [{ jobId: base.jobId }] });
    assert.equal(badCron.status, 400, JSON.stringify(badCron.body));
    assert.equal(badCron.body.code, 'BAD_REQUEST');
    assert.equal(badCron.body.errors[0].path, 'cron.0');
    assert.match(badCron.body.errors[0].message, /minute field "61": 61 is outside 0-59/);

    const badZone = await call(stack.app, 'POST', '/api/v1/schedules', { workspaceId: base.workspaceId, name: 'x', cron: ['0 2 * * *'], timezone: 'Mars/Olympus_Mons', steps: [{ jobId: base.jobId }] });
    assert.equal(badZone.status, 400, JSON.stringify(badZone.body));
    assert.equal(badZone.body.errors[0].path, 'timezone');

    const badInterval = await call(stack.app, 'POST', '/api/v1/schedules', { workspaceId: base.workspaceId, name: 'x', interval: 'soon', steps: [{ jobId: base.jobId }] });
    assert.equal(badInterval.status, 400);
    assert.equal(badInterval.body.errors[0].path, 'interval');

    const badJobCron = await call(stack.app, 'POST', `/api/v1/workspaces/${base.workspaceId}/jobs`, { name: 'x', ...connections, schedule: { enabled: true, cron: '61 * * * *' } });
    assert.equal(badJobCron.status, 400);
    assert.equal(badJobCron.body.errors[0].path, 'schedule.cron');

    const unknownStep = await call(stack.app, 'POST', '/api/v1/schedules', { workspaceId: base.workspaceId, name: 'x', cron: ['0 2 * * *'], steps: [{ jobId: 999_999 }] });
    assert.equal(unknownStep.status, 422);
    assert.equal(unknownStep.body.errors[0].path, 'steps.0.jobId');

    assert.equal((await call(stack.app, 'GET', `/api/v1/schedules?workspaceId=${base.workspaceId}&limit=500`)).body.items.length, before);
  });

  test('the read model and Temporal stay in step: a failed write changes neither, and API start reconciles one-sided schedules', async () => {
    const values = {
      workspaceId: base.workspaceId,
      name: 'rolled back',
      cron: [NEVER],
      steps: [{ stepIndex: 0, jobId: base.jobId, continueOnFailure: false }],
    };
    let createdId = 0;
    await assert.rejects(
      withScheduleChanges(stack.deps, async (tx, changes) => {
        createdId = (await insertSchedule(tx, changes, values)).id;
        throw new Error('the read-model write after Temporal failed');
      }),
      /read-model write after Temporal failed/,
    );
    assert.ok(createdId > 0);
    assert.equal((await stack.database.db.select().from(schedules).where(eq(schedules.id, createdId))).length, 0);
    await assert.rejects(stack.env.client.schedule.getHandle(temporalScheduleId(createdId)).describe(), ScheduleNotFoundError);

    const kept = await createSchedule({ name: 'lost in Temporal', cron: [NEVER], steps: [{ jobId: base.jobId }] });
    await stack.env.client.schedule.getHandle(temporalScheduleId(kept.id)).delete();
    const strayId = temporalScheduleId(900_000 + kept.id);
    await stack.env.client.schedule.create({
      scheduleId: strayId,
      spec: { cronExpressions: [NEVER] },
      action: { type: 'startWorkflow', workflowType: 'scheduleRunWorkflow', taskQueue: stack.taskQueue, args: [{ scheduleId: 900_000 + kept.id }] },
    });
    // Reconciliation finds strays by listing, which visibility serves a moment after the create
    // (seen once in a fresh-clone CI run: the stray was not listed yet, and so not deleted).
    await until('visibility to list the stray schedule', async () => {
      for await (const summary of stack.env.client.schedule.list()) if (summary.scheduleId === strayId) return true;
      return false;
    });

    const logged: string[] = [];
    const result = await reconcileSchedules({ ...stack.deps, log: (message) => logged.push(message) });
    assert.ok(result.created.includes(kept.id), JSON.stringify(result));
    assert.ok(result.deleted.includes(strayId), JSON.stringify(result));
    assert.ok(logged.some((l) => l.includes(`schedule ${kept.id}`)));
    const restored = await stack.env.client.schedule.getHandle(temporalScheduleId(kept.id)).describe();
    assert.equal(restored.action.workflowType, 'scheduleRunWorkflow');
    await assert.rejects(stack.env.client.schedule.getHandle(strayId).describe(), ScheduleNotFoundError);

    const gone = await call(stack.app, 'DELETE', `/api/v1/schedules/${kept.id}`);
    assert.equal(gone.status, 204);
    await assert.rejects(stack.env.client.schedule.getHandle(temporalScheduleId(kept.id)).describe(), ScheduleNotFoundError);
  });
});
