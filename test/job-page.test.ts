// A job page with a PostgreSQL destination runs every step in its import activity: a writer that
// fails takes the page back and the retry does it whole, each object once; an attempt retried
// after the page committed answers what the first attempt did without reading the source again.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../activities';
import { ConnectionPools } from '../activities/connectors/postgres-destination';
import type { JsonObject } from '../activities/connectors/types';
import type { ImportPageResult } from '../activities/steps/import-page';
import { createSecretBox } from '../db/secrets';
import { createHttpToPostgresJob, type HttpToPostgresJob } from './helpers/fixtures';
import { scheduledActivities, workflowHistories } from './helpers/history';
import { generateRecords, startSourceServer, type SourceServer } from './helpers/source-server';
import { call, startTestStack, waitForRun, type TestStack } from './helpers/stack';

const RECORDS = 250;
const BATCH = 100;

describe('a job page in one activity', () => {
  let stack: TestStack;
  const servers: SourceServer[] = [];

  before(async () => {
    stack = await startTestStack();
  });

  after(async () => {
    await Promise.allSettled([stack?.stop(), ...servers.map((s) => s.close())]);
  });

  const sql = () => stack.database.sql;

  async function setUp(table: string): Promise<{ source: SourceServer; job: HttpToPostgresJob }> {
    const source = await startSourceServer({ records: generateRecords(RECORDS) });
    servers.push(source);
    const job = await createHttpToPostgresJob(stack.app, { sourceUrl: source.url, database: stack.database, batchSize: BATCH, table });
    return { source, job };
  }

  async function runJob(job: HttpToPostgresJob): Promise<any> {
    const started = await call(stack.app, 'POST', `/api/v1/jobs/${job.jobId}/execute`);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const run = await waitForRun(stack.app, started.body.runId);
    assert.equal(run.state, 'SUCCEEDED', JSON.stringify(run.errors));
    return run;
  }

  /**
   * Makes the next statement that writes `table` fail once (a statement trigger), as a lost
   * connection would; the function it returns removes the trigger and says how many statements came.
   */
  async function failOnce(table: string, event: 'insert' | 'update' = 'insert'): Promise<() => Promise<number>> {
    const name = `fail_once_${table}`;
    await sql().unsafe(`
      create sequence ${name};
      create function ${name}() returns trigger language plpgsql as $$
      begin
        if nextval('${name}') = 1 then raise exception '${table} is briefly unavailable'; end if;
        return null;
      end $$;
      create trigger ${name} before ${event} on ${table} for each statement execute function ${name}();`);
    return async () => {
      const [row] = await sql().unsafe<{ n: string }[]>(`select last_value::text as n from ${name}`);
      await sql().unsafe(`drop trigger ${name} on ${table}; drop function ${name}(); drop sequence ${name};`);
      return Number(row!.n);
    };
  }

  /** What the run and the tables say about every object: each once, written, logged once. */
  async function assertEachObjectOnce(run: any, job: HttpToPostgresJob, action: 'created' | 'updated', expected: number) {
    const [counts] = await sql()<{ logs: number; distinct_logs: number; contracts: number; written: number; space: number; rows: number }[]>`
      select
        (select count(*)::int from run_logs where run_id = ${run.id}::uuid and action = ${action}) as logs,
        (select count(distinct origin_id)::int from run_logs where run_id = ${run.id}::uuid and action = ${action}) as distinct_logs,
        (select count(*)::int from contracts where task_id = ${job.taskId}) as contracts,
        (select count(*)::int from contracts where task_id = ${job.taskId} and target_id = origin_id and synced_origin_hash = origin_hash) as written,
        (select count(*)::int from connector_space_objects
          where connected_system_id = (select source_connection_id from jobs where id = ${job.jobId})) as space,
        (select count(*)::int from ${sql()(job.table)}) as rows`;
    assert.deepEqual({ ...counts }, { logs: expected, distinct_logs: expected, contracts: RECORDS, written: RECORDS, space: RECORDS, rows: RECORDS });
    assert.deepEqual([...(await sql()`select origin_id, status from pending_exports where task_id = ${job.taskId}`)], []);
  }

  const attemptsOfImports = async (run: any) => {
    const histories = await workflowHistories(stack.env.client, run.workflowId, run.temporalRunId);
    const events = histories.flatMap((h) => h.events ?? []);
    const imports = new Set(histories.flatMap(scheduledActivities).filter((a) => a.type === 'importPage').map((a) => a.eventId));
    return events.flatMap((e) => {
      const started = e.activityTaskStartedEventAttributes;
      return started && imports.has(Number(started.scheduledEventId)) ? [started.attempt ?? 1] : [];
    });
  };

  test('the connector-space write fails once: the page is retried whole and every object lands once', async () => {
    const { job } = await setUp('space_fails');
    const restore = await failOnce('connector_space_objects');
    const run = await runJob(job);
    assert.equal(await restore(), 4, 'one write per page (3), and page 0 once more after its failed attempt');
    assert.equal(run.entityRuns[0].newRecordCount, String(RECORDS));
    assert.equal(run.entityRuns[0].errorRecordCount, '0');
    // History keeps the attempt that completed: the import of page 0 completed on its second.
    assert.equal((await attemptsOfImports(run))[0], 2);
    await assertEachObjectOnce(run, job, 'created', RECORDS);
  });

  test('the contracts write fails once after the connector space committed: the retry still counts and logs each object once', async () => {
    const { source, job } = await setUp('contracts_fail');
    await runJob(job);
    const renamed = (records: JsonObject[]) => records.map((r) => ({ ...r, name: `${String(r.name)} II` }));
    source.setRecords(renamed(source.records));
    const restore = await failOnce('contracts');
    const run = await runJob(job);
    assert.equal(await restore(), 4, 'one write per page (3), and page 0 once more after its failed attempt');
    assert.equal(run.entityRuns[0].changedRecordCount, String(RECORDS));
    assert.equal(run.entityRuns[0].unchangedRecordCount, '0');
    await assertEachObjectOnce(run, job, 'updated', RECORDS);
    const names = await sql()<{ n: number }[]>`select count(*)::int as n from ${sql()(job.table)} where name like '% II'`;
    assert.equal(names[0]!.n, RECORDS);
  });

  test('an object on two pages is looked up after the first page committed: created once, then changed', async () => {
    // Page 1 ends with record 100; page 2 starts with it again, changed (as a shifting listing would).
    const records = generateRecords(RECORDS - 1);
    const twice = { ...records[99]!, name: `${String(records[99]!.name)} again` };
    const source = await startSourceServer({ records: [...records.slice(0, 100), twice, ...records.slice(100)] });
    servers.push(source);
    const job = await createHttpToPostgresJob(stack.app, { sourceUrl: source.url, database: stack.database, batchSize: BATCH, table: 'two_pages' });
    const run = await runJob(job);
    const entity = run.entityRuns[0];
    assert.deepEqual(
      { created: entity.newRecordCount, changed: entity.changedRecordCount, extracted: entity.extractedRecordCount },
      { created: String(RECORDS - 1), changed: '1', extracted: String(RECORDS) },
    );
    const [row] = await sql()<{ name: string }[]>`select name from ${sql()(job.table)} where _syncline_id = '100'`;
    assert.equal(row!.name, twice.name);
  });

  test('an attempt retried after the page committed answers the first attempt’s outcome and reads nothing again', async () => {
    const { source, job } = await setUp('retried_after_commit');
    const first = await runJob(job);
    source.setRecords(source.records.map((r) => (Number(r.id) <= 3 ? { ...r, name: `${String(r.name)} (new)` } : r)));

    const pools = new ConnectionPools();
    try {
      const activities = createActivities({
        database: stack.database,
        secretBox: createSecretBox('test-secret-key-0123456789'),
        pools,
        temporal: stack.env.client,
      });
      const args = { runId: first.id, taskId: job.taskId, pageNo: 0, cursor: null, pageSize: BATCH, since: null, dryRun: false, synchronise: true };
      const pageZero = () => source.requests.filter((r) => new URL(r, source.url).searchParams.get('page') === '1').length;
      const requestsBefore = pageZero();
      const once = (await new MockActivityEnvironment().run(activities.importPage, args)) as ImportPageResult;
      assert.deepEqual({ ...once.synchronised }, { created: 0, changed: 3, unchanged: BATCH - 3, failed: 0, queued: 0 });
      const contractsAfterFirst = await sql()`select origin_id, updated_at from contracts where task_id = ${job.taskId} order by origin_id`;

      const again = await new MockActivityEnvironment().run(activities.importPage, args);
      assert.deepEqual(again, once);
      assert.equal(pageZero() - requestsBefore, 1, 'the source page was read by the first attempt only');
      assert.deepEqual(await sql()`select origin_id, updated_at from contracts where task_id = ${job.taskId} order by origin_id`, contractsAfterFirst);
      const [logs] = await sql()<{ n: number }[]>`select count(*)::int as n from run_logs where run_id = ${first.id}::uuid and action = 'updated'`;
      assert.equal(logs!.n, 3);
    } finally {
      await pools.closeAll();
    }
  });
});
