// The CData Sync job options take effect: each test sets one option on a job, runs it through the
// API on the real stack (Temporal dev server, PostgreSQL, local HTTP source) and checks what lands
// in the destination table.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import type { JsonObject } from '../activities/connectors/types';
import { findJob } from '../api/lookups';
import { startRun } from '../api/run-starter';
import { bundleWorkflows } from '../worker/create-worker';
import { workflowHistories } from './helpers/history';
import { generateRecords, startSourceServer, type SourceServer } from './helpers/source-server';
import { call, startTestStack, waitForRun, type TestStack } from './helpers/stack';

const RECORDS = 60;
const SCHEMA = 'warehouse';

interface TaskSpec {
  sourceEntity: string;
  targetEntity: string;
  mappingId?: number;
}

interface CreatedJob {
  jobId: number;
  taskIds: number[];
}

type History = temporal.api.history.v1.IHistory;

/** When each task's entity run began and ended, read from the workflow histories of a run. */
function entityRunIntervals(histories: History[]): Map<number, { start: number; end: number }> {
  const millis = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => {
    const s = t?.seconds as number | { toNumber(): number } | undefined;
    return (typeof s === 'number' ? s : (s?.toNumber() ?? 0)) * 1000 + (t?.nanos ?? 0) / 1e6;
  };
  const intervals = new Map<number, { start: number; end: number }>();
  for (const history of histories) {
    for (const event of history.events ?? []) {
      const scheduled = event.activityTaskScheduledEventAttributes;
      const name = scheduled?.activityType?.name;
      if (name !== 'beginEntityRun' && name !== 'finishEntityRun') continue;
      const args = JSON.parse(Buffer.from(scheduled!.input!.payloads![0]!.data!).toString('utf8')) as { taskId: number };
      const at = millis(event.eventTime);
      const interval = intervals.get(args.taskId) ?? { start: Number.NaN, end: Number.NaN };
      if (name === 'beginEntityRun') interval.start = at;
      else interval.end = at;
      intervals.set(args.taskId, interval);
    }
  }
  return intervals;
}

describe('job options', () => {
  let stack: TestStack;
  let shared: SourceServer;
  let workspaceId: number;
  let destinationConnectionId: number;
  const servers: SourceServer[] = [];

  before(async () => {
    [stack, shared] = await Promise.all([startTestStack(), startSourceServer({ records: generateRecords(RECORDS) })]);
    servers.push(shared);
    workspaceId = (await created('/api/v1/workspaces', { name: 'job options' })).id;
    destinationConnectionId = (
      await created('/api/v1/synchronisation/connected-systems', {
        workspaceId,
        name: 'warehouse',
        connectorType: 'postgres',
        config: { ...stack.database.connection, schema: SCHEMA },
      })
    ).id;
  });

  after(async () => {
    await Promise.allSettled([stack?.stop(), ...servers.map((s) => s.close())]);
  });

  async function created(path: string, body: unknown): Promise<any> {
    const res = await call(stack.app, 'POST', path, body);
    assert.equal(res.status, 201, `${path}: ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async function sourceServer(opts: { records?: JsonObject[]; delayMs?: number } = {}): Promise<SourceServer> {
    const server = await startSourceServer({ records: opts.records ?? generateRecords(RECORDS), delayMs: opts.delayMs ?? 0 });
    servers.push(server);
    return server;
  }

  /** A job with its own source connection (page pagination on `source`) and the given tasks. */
  async function createJob(name: string, options: Record<string, unknown>, tasks: TaskSpec[], opts: { source?: SourceServer; batchSize?: number } = {}): Promise<CreatedJob> {
    const source = opts.source ?? shared;
    const sourceConnectionId = (
      await created('/api/v1/synchronisation/connected-systems', {
        workspaceId,
        name: `${name} source`,
        connectorType: 'http-json',
        config: { baseUrl: source.url, pagination: { type: 'page', pageParam: 'page', sizeParam: 'pageSize' }, totalPath: 'total' },
      })
    ).id;
    const job = await created(`/api/v1/workspaces/${workspaceId}/jobs`, {
      name,
      sourceConnectionId,
      destinationConnectionId,
      batchSize: opts.batchSize ?? 25,
      ...options,
    });
    const taskIds: number[] = [];
    for (const task of tasks) {
      taskIds.push((await created(`/api/v1/jobs/${job.id}/tasks`, { resultsPosition: 'data.items', ...task })).id);
    }
    return { jobId: job.id, taskIds };
  }

  async function runJob(jobId: number): Promise<any> {
    const started = await call(stack.app, 'POST', `/api/v1/jobs/${jobId}/execute`);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    return waitForRun(stack.app, started.body.runId);
  }

  const sql = () => stack.database.sql;
  const rowsOf = async (table: string) =>
    sql()<{ id: string; name: string | null }[]>`select _syncline_id as id, name from ${sql()(table)} order by _syncline_id::int`;
  const countOf = async (table: string) => (await sql()<{ n: number }[]>`select count(*)::int as n from ${sql()(table)}`)[0]!.n;
  const exists = async (table: string) => (await sql()<{ t: string | null }[]>`select to_regclass(${table})::text as t`)[0]!.t !== null;
  const columnsOf = async (schema: string, table: string) =>
    sql()<{ name: string; type: string; length: number | null }[]>`
      select column_name as name, data_type as type, character_maximum_length as length
      from information_schema.columns where table_schema = ${schema} and table_name = ${table} order by ordinal_position`;
  const failedLogs = async (runId: string) =>
    (await call(stack.app, 'GET', `/api/v1/runs/${runId}/logs?limit=500&action=failed`)).body.items as { originId: string; error: string }[];

  test('batchSize: the source is read in pages of that size, one request each', async () => {
    const { jobId } = await createJob('batch size', {}, [{ sourceEntity: '/records?t=batch', targetEntity: 'batch_people' }], { batchSize: 25 });
    const requestsBefore = shared.requests.length;
    const run = await runJob(jobId);
    assert.equal(run.state, 'SUCCEEDED', JSON.stringify(run.errors));
    const [entity] = run.entityRuns;
    // 60 records in pages of 25: 25 + 25 + 10, the short page landing on the total.
    assert.equal(entity.sourceApiRequestCount, '3');
    assert.equal(entity.extractedRecordCount, String(RECORDS));
    const requests = shared.requests.slice(requestsBefore).filter((r) => r.includes('t=batch'));
    assert.deepEqual(
      requests.map((r) => new URL(r, shared.url).searchParams.get('pageSize')),
      ['25', '25', '25'],
    );
    assert.deepEqual(requests.map((r) => new URL(r, shared.url).searchParams.get('page')), ['1', '2', '3']);
    assert.equal(await countOf(`${SCHEMA}.batch_people`), RECORDS);
  });

  test('continueOnError: without it a failed task stops the run; with it the rest runs and the run ends WARNING', async () => {
    const tasks = (suffix: string): TaskSpec[] => [
      { sourceEntity: '/no-such-entity', targetEntity: `coe_missing_${suffix}` },
      { sourceEntity: `/records?t=coe_${suffix}`, targetEntity: `coe_people_${suffix}` },
    ];
    const strict = await createJob('stop on error', {}, tasks('off'));
    const stopped = await runJob(strict.jobId);
    assert.equal(stopped.state, 'FAILED');
    assert.deepEqual(stopped.entityRuns.map((e: { state: string }) => e.state), ['FAILED', 'SKIPPED']);
    assert.equal(stopped.entityRuns[0].errors[0].code, 'SOURCE_HTTP_404');
    assert.equal(await exists(`${SCHEMA}.coe_people_off`), false);

    const lenient = await createJob('continue on error', { continueOnError: true }, tasks('on'));
    const run = await runJob(lenient.jobId);
    assert.equal(run.state, 'WARNING', JSON.stringify(run.errors));
    assert.deepEqual(run.entityRuns.map((e: { state: string }) => e.state), ['FAILED', 'SUCCEEDED']);
    assert.deepEqual(run.errors.map((e: { code: string }) => e.code), ['SOURCE_HTTP_404']);
    assert.equal(run.entityRuns[1].newRecordCount, String(RECORDS));
    assert.equal(await countOf(`${SCHEMA}.coe_people_on`), RECORDS);
  });

  test('enableParallelProcessing + workerPool: at most that many tasks at once, across continue-as-new, counts right', async () => {
    const slow = await sourceServer({ records: generateRecords(80), delayMs: 100 });
    const job = await createJob(
      'parallel',
      { enableParallelProcessing: true, workerPool: 2 },
      ['a', 'b', 'c'].map((t) => ({ sourceEntity: `/records?t=${t}`, targetEntity: `par_${t}` })),
      { source: slow, batchSize: 20 },
    );
    const [a, b, c] = job.taskIds as [number, number, number];
    const found = await findJob(stack.deps.db, job.jobId);
    // Three pages per execution: the run hands over while two tasks are mid-way.
    const { runId, workflowId } = await startRun(stack.deps, { kind: 'job', workspaceId: found.workspaceId, jobId: found.id }, { trigger: 'MANUAL', pagesPerExecution: 3 });
    const run = await waitForRun(stack.app, runId);
    assert.equal(run.state, 'SUCCEEDED', JSON.stringify(run.errors));
    for (const entity of run.entityRuns) {
      assert.equal(entity.state, 'SUCCEEDED');
      assert.equal(entity.extractedRecordCount, '80');
      assert.equal(entity.newRecordCount, '80');
      assert.equal(entity.sourceApiRequestCount, '4');
    }
    for (const t of ['a', 'b', 'c']) assert.equal(await countOf(`${SCHEMA}.par_${t}`), 80);

    const histories = await workflowHistories(stack.env.client, workflowId, run.temporalRunId);
    assert.ok(histories.length >= 3, `expected several executions, got ${histories.length}`);
    const spans = entityRunIntervals(histories);
    const [sa, sb, sc] = [spans.get(a)!, spans.get(b)!, spans.get(c)!];
    // The first two tasks ran at the same time ...
    assert.ok(sb.start < sa.end && sa.start < sb.end, `a ${JSON.stringify(sa)} and b ${JSON.stringify(sb)} do not overlap`);
    // ... and the third waited for one of them: never three at once.
    assert.ok(sc.start >= Math.min(sa.end, sb.end), `c started at ${sc.start}, before a (${sa.end}) or b (${sb.end}) ended`);
    // Requests of the two tasks interleave at the source.
    const order = slow.requests.map((r) => new URL(r, slow.url).searchParams.get('t'));
    assert.ok(order.indexOf('b') < order.lastIndexOf('a'), order.join(','));

    // Every execution of the chain replays deterministically against today's workflow code.
    const workflowBundle = await bundleWorkflows();
    for (const history of histories) await Worker.runReplayHistory({ workflowBundle }, history, workflowId);

    // Without the option the same job runs its tasks one after the other.
    await sql()`update jobs set options = options - 'enableParallelProcessing' where id = ${job.jobId}`;
    const sequential = await runJob(job.jobId);
    assert.equal(sequential.state, 'SUCCEEDED', JSON.stringify(sequential.errors));
    assert.deepEqual(sequential.entityRuns.map((e: { unchangedRecordCount: string }) => e.unchangedRecordCount), ['80', '80', '80']);
    const one = entityRunIntervals(await workflowHistories(stack.env.client, sequential.workflowId, sequential.temporalRunId));
    const ordered = [one.get(a)!, one.get(b)!, one.get(c)!];
    assert.ok(ordered[0]!.end <= ordered[1]!.start && ordered[1]!.end <= ordered[2]!.start, JSON.stringify(ordered));
  });

  test('enableParallelProcessing: cancelling records every task in progress as CANCELLED and the rest SKIPPED', async () => {
    const slow = await sourceServer({ records: generateRecords(80), delayMs: 200 });
    const job = await createJob(
      'parallel cancel',
      { enableParallelProcessing: true, workerPool: 2 },
      ['a', 'b', 'c'].map((t) => ({ sourceEntity: `/records?t=${t}`, targetEntity: `parcancel_${t}` })),
      { source: slow, batchSize: 10 },
    );
    const started = await call(stack.app, 'POST', `/api/v1/jobs/${job.jobId}/execute`);
    assert.equal(started.status, 202);
    const running = await waitForRun(stack.app, started.body.runId, {
      until: (r) => r.entityRuns.filter((e: { state: string }) => e.state === 'RUNNING').length === 2,
    });
    await stack.env.client.workflow.getHandle(running.workflowId).cancel();
    const run = await waitForRun(stack.app, started.body.runId);
    assert.equal(run.state, 'CANCELLED');
    assert.deepEqual(run.entityRuns.map((e: { state: string }) => e.state), ['CANCELLED', 'CANCELLED', 'SKIPPED']);
  });

  test('truncateTableData: the table is emptied first and every source row is written again', async () => {
    const { jobId } = await createJob('truncate', { truncateTableData: true }, [{ sourceEntity: '/records?t=trunc', targetEntity: 'trunc_people' }]);
    const table = `${SCHEMA}.trunc_people`;
    const first = await runJob(jobId);
    assert.equal(first.state, 'SUCCEEDED', JSON.stringify(first.errors));
    assert.equal(await countOf(table), RECORDS);
    // Rows the source never had, and a row changed behind Syncline's back.
    await sql()`insert into ${sql()(table)} (_syncline_id, name) values ('9001', 'Ghost'), ('9002', 'Phantom')`;
    await sql()`update ${sql()(table)} set name = 'tampered' where _syncline_id = '5'`;

    const second = await runJob(jobId);
    assert.equal(second.state, 'SUCCEEDED', JSON.stringify(second.errors));
    // The contracts no longer matched the emptied table: every row was written again as new.
    assert.equal(second.entityRuns[0].newRecordCount, String(RECORDS));
    assert.equal(second.entityRuns[0].unchangedRecordCount, '0');
    const rows = await rowsOf(table);
    assert.deepEqual(rows.map((r) => r.id), shared.records.map((r) => String(r.id)));
    assert.equal(rows.find((r) => r.id === '5')!.name, shared.records[4]!.name);
  });

  test('dropTable: the table is dropped and recreated from the records at the start of the task', async () => {
    const table = `${SCHEMA}.drop_people`;
    await sql()`create schema if not exists warehouse`;
    await sql().unsafe(`create table ${table} (_syncline_id text primary key, _syncline_synced_at timestamptz not null default now(), name varchar(5), legacy text)`);
    await sql()`insert into ${sql()(table)} (_syncline_id, name, legacy) values ('9001', 'Ghost', 'old')`;
    const { jobId } = await createJob('drop', { dropTable: true }, [{ sourceEntity: '/records?t=drop', targetEntity: 'drop_people' }]);

    for (let i = 0; i < 2; i++) {
      const run = await runJob(jobId);
      assert.equal(run.state, 'SUCCEEDED', JSON.stringify(run.errors));
      assert.equal(run.entityRuns[0].newRecordCount, String(RECORDS));
      const columns = await columnsOf(SCHEMA, 'drop_people');
      assert.ok(!columns.some((c) => c.name === 'legacy'), 'the old table is gone');
      assert.equal(columns.find((c) => c.name === 'name')!.type, 'text');
      const rows = await rowsOf(table);
      assert.deepEqual(rows.map((r) => r.id), shared.records.map((r) => String(r.id)));
      assert.deepEqual(rows.map((r) => r.name), shared.records.map((r) => r.name));
    }
  });

  test('tableNamePrefix: the destination table is prefix + target entity', async () => {
    const { jobId } = await createJob('prefix', { tableNamePrefix: 'stg_' }, [{ sourceEntity: '/records?t=prefix', targetEntity: 'prefixed' }]);
    const run = await runJob(jobId);
    assert.equal(run.state, 'SUCCEEDED', JSON.stringify(run.errors));
    assert.equal(await countOf(`${SCHEMA}.stg_prefixed`), RECORDS);
    assert.equal(await exists(`${SCHEMA}.prefixed`), false);
  });

  test('destinationSchema: tables go to that schema, created when missing', async () => {
    assert.equal((await sql()`select 1 from pg_namespace where nspname = 'landing_zone'`).length, 0);
    const { jobId } = await createJob('schema', { destinationSchema: 'landing_zone' }, [{ sourceEntity: '/records?t=schema', targetEntity: 'schema_people' }]);
    const run = await runJob(jobId);
    assert.equal(run.state, 'SUCCEEDED', JSON.stringify(run.errors));
    assert.equal(await countOf('landing_zone.schema_people'), RECORDS);
    assert.equal(await exists(`${SCHEMA}.schema_people`), false);
  });

  test('alterSchema: on (the default) adds a missing column; off refuses the row naming the field', async () => {
    const source = await sourceServer();
    await sql()`create schema if not exists warehouse`;
    for (const table of ['alter_on', 'alter_off']) {
      await sql().unsafe(`create table ${SCHEMA}.${table} (_syncline_id text primary key, _syncline_synced_at timestamptz not null default now(), id numeric, name text)`);
    }
    const mapping = await created('/api/v1/mappings', { workspaceId, name: 'with nickname', mapping: { id: 'id', name: 'name', nickname: 'nickname' } });
    // Only record 7 carries a nickname; the others map it to null, which needs no column.
    source.setRecords(source.records.map((r) => (Number(r.id) === 7 ? { ...r, nickname: 'Seven' } : r)));

    const on = await createJob('alter on', { alterSchema: true }, [{ sourceEntity: '/records', targetEntity: 'alter_on', mappingId: mapping.id }], { source });
    const added = await runJob(on.jobId);
    assert.equal(added.state, 'SUCCEEDED', JSON.stringify(added.errors));
    assert.deepEqual((await columnsOf(SCHEMA, 'alter_on')).map((c) => c.name), ['_syncline_id', '_syncline_synced_at', 'id', 'name', 'nickname']);
    const nicknames = await sql()<{ id: string; nickname: string | null }[]>`select _syncline_id as id, nickname from warehouse.alter_on where nickname is not null`;
    assert.deepEqual(nicknames.map((r) => ({ ...r })), [{ id: '7', nickname: 'Seven' }]);
    assert.equal(await countOf(`${SCHEMA}.alter_on`), RECORDS);

    const off = await createJob('alter off', { alterSchema: false }, [{ sourceEntity: '/records', targetEntity: 'alter_off', mappingId: mapping.id }], { source });
    const refused = await runJob(off.jobId);
    assert.equal(refused.state, 'WARNING', JSON.stringify(refused.errors));
    assert.equal(refused.entityRuns[0].errorRecordCount, '1');
    assert.deepEqual((await columnsOf(SCHEMA, 'alter_off')).map((c) => c.name), ['_syncline_id', '_syncline_synced_at', 'id', 'name']);
    assert.equal(await countOf(`${SCHEMA}.alter_off`), RECORDS - 1);
    assert.equal((await sql()`select 1 from warehouse.alter_off where _syncline_id = '7'`).length, 0);
    const failures = await failedLogs(refused.id);
    assert.deepEqual(failures.map((f) => f.originId), ['7']);
    assert.match(failures[0]!.error, /"nickname" has no column in warehouse\.alter_off .*alterSchema/);
  });

  test('autoTruncateStrings: on cuts strings to a varchar(n) column; off fails those rows with a clear error', async () => {
    await sql()`create schema if not exists warehouse`;
    for (const table of ['cut_on', 'cut_off']) {
      await sql().unsafe(`create table ${SCHEMA}.${table} (_syncline_id text primary key, _syncline_synced_at timestamptz not null default now(), id numeric, name varchar(10), email text)`);
    }
    const mapping = await created('/api/v1/mappings', { workspaceId, name: 'short names', mapping: { id: 'id', name: 'name', email: 'email' } });
    const names = new Map(shared.records.map((r) => [String(r.id), String(r.name)]));
    const long = [...names].filter(([, name]) => name.length > 10).map(([id]) => id);
    assert.ok(long.length > 0 && long.length < RECORDS, 'some names are longer than 10 characters, some are not');

    const on = await createJob('cut on', { autoTruncateStrings: true }, [{ sourceEntity: '/records?t=cut_on', targetEntity: 'cut_on', mappingId: mapping.id }]);
    const cut = await runJob(on.jobId);
    assert.equal(cut.state, 'SUCCEEDED', JSON.stringify(cut.errors));
    const rows = await rowsOf(`${SCHEMA}.cut_on`);
    assert.equal(rows.length, RECORDS);
    for (const row of rows) assert.equal(row.name, names.get(row.id)!.slice(0, 10));

    const off = await createJob('cut off', {}, [{ sourceEntity: '/records?t=cut_off', targetEntity: 'cut_off', mappingId: mapping.id }]);
    const refused = await runJob(off.jobId);
    assert.equal(refused.state, 'WARNING', JSON.stringify(refused.errors));
    assert.equal(refused.entityRuns[0].errorRecordCount, String(long.length));
    const landed = await rowsOf(`${SCHEMA}.cut_off`);
    assert.deepEqual(landed.map((r) => r.id), [...names.keys()].filter((id) => !long.includes(id)));
    const failures = await failedLogs(refused.id);
    assert.deepEqual(failures.map((f) => f.originId).sort(), [...long].sort());
    assert.match(failures[0]!.error, /field "name" is \d+ characters, longer than column warehouse\.cut_off\.name character varying\(10\).*autoTruncateStrings/);
  });

  /** Runs a job once, removes records 3 and 4 at the source, runs it again. */
  async function syncThenDelete(name: string, options: Record<string, unknown>) {
    const source = await sourceServer();
    const table = `del_${name}`;
    const job = await createJob(`delete ${name}`, options, [{ sourceEntity: '/records', targetEntity: table }], { source });
    const first = await runJob(job.jobId);
    assert.equal(first.state, 'SUCCEEDED', JSON.stringify(first.errors));
    const before = await sql()<{ id: string; xmin: string }[]>`select _syncline_id as id, xmin::text as xmin from ${sql()(`${SCHEMA}.${table}`)} order by _syncline_id::int`;
    const all = source.records;
    source.setRecords(all.filter((r) => ![3, 4].includes(Number(r.id))));
    const second = await runJob(job.jobId);
    assert.equal(second.state, 'SUCCEEDED', JSON.stringify(second.errors));
    assert.equal(second.entityRuns[0].deletedRecordCount, '2');
    return { source, all, job, table: `${SCHEMA}.${table}`, before };
  }

  test('deletionBehavior HardDelete (the default): rows of records deleted at the source are deleted', async () => {
    const { table } = await syncThenDelete('hard', {});
    const rows = await rowsOf(table);
    assert.equal(rows.length, RECORDS - 2);
    assert.ok(!rows.some((r) => r.id === '3' || r.id === '4'));
  });

  test('deletionBehavior SoftDelete: the row stays, flagged deleted with a time; a return clears the flag', async () => {
    const { source, all, job, table } = await syncThenDelete('soft', { deletionBehavior: 'SoftDelete' });
    const flags = async () =>
      sql()<{ id: string; deleted: boolean; at: string | null }[]>`
        select _syncline_id as id, _syncline_deleted as deleted, _syncline_deleted_at::text as at from ${sql()(table)} order by _syncline_id::int`;
    let rows = await flags();
    assert.equal(rows.length, RECORDS);
    assert.deepEqual(rows.filter((r) => r.deleted).map((r) => r.id), ['3', '4']);
    assert.ok(rows.filter((r) => r.deleted).every((r) => r.at !== null));
    assert.ok(rows.filter((r) => !r.deleted).every((r) => r.at === null));

    source.setRecords(all.filter((r) => Number(r.id) !== 4));
    const back = await runJob(job.jobId);
    assert.equal(back.state, 'SUCCEEDED', JSON.stringify(back.errors));
    assert.equal(back.entityRuns[0].newRecordCount, '1');
    rows = await flags();
    assert.deepEqual(rows.filter((r) => r.deleted).map((r) => r.id), ['4']);
    assert.equal(rows.find((r) => r.id === '3')!.at, null);
  });

  test('deletionBehavior Skip: rows of records deleted at the source are left as they are', async () => {
    const { table, before } = await syncThenDelete('skip', { deletionBehavior: 'Skip' });
    const after = await sql()<{ id: string; xmin: string }[]>`select _syncline_id as id, xmin::text as xmin from ${sql()(table)} order by _syncline_id::int`;
    assert.deepEqual(after, before);
    assert.ok(!(await columnsOf(SCHEMA, 'del_skip')).some((c) => c.name === '_syncline_deleted'));
  });

  test('labels: stored, returned by GET /jobs/{id}, and put on the run workflow as a memo', async () => {
    const { jobId } = await createJob('labelled', { labels: ['finance', 'nightly'] }, [{ sourceEntity: '/records?t=labels', targetEntity: 'labelled_people' }]);
    const job = await call(stack.app, 'GET', `/api/v1/jobs/${jobId}`);
    assert.equal(job.status, 200);
    assert.deepEqual(job.body.labels, ['finance', 'nightly']);
    const run = await runJob(jobId);
    assert.equal(run.state, 'SUCCEEDED', JSON.stringify(run.errors));
    const described = await stack.env.client.workflow.getHandle(run.workflowId, run.temporalRunId).describe();
    assert.deepEqual(described.memo?.labels, ['finance', 'nightly']);
  });
});
