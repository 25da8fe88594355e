// A job page with a PostgreSQL destination runs every step in its import activity: a writer that
// fails takes the page back and the retry does it whole, each object once; an attempt retried
// after the page committed answers what the first attempt did without reading the source again.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, DEFAULT_LOG_RETENTION } from '../activities';
import { ConnectionPools } from '../activities/connectors/postgres-destination';
import type { JsonObject } from '../activities/connectors/types';
import type { HashedPage, ImportPageArgs, ImportPageResult } from '../activities/steps/import-page';
import { hashObject } from '../activities/hashing';
import { createRunLogWriter } from '../activities/run-logs';
import { lookUpAhead, synchroniseImportedPage, writeConnectorSpace } from '../activities/steps/job-page';
import { createTaskContextLoader, type TaskContext } from '../activities/task-context';
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
   * Makes the next statement that writes `table` (or the `at`-th from now) fail once (a statement
   * trigger), as a lost connection would; the function it returns removes the trigger and says how many statements came.
   */
  async function failOnce(table: string, event: 'insert' | 'update' = 'insert', at = 1): Promise<() => Promise<number>> {
    const name = `fail_once_${table}`;
    await sql().unsafe(`
      create sequence ${name};
      create function ${name}() returns trigger language plpgsql as $$
      begin
        if nextval('${name}') = ${at} then raise exception '${table} is briefly unavailable'; end if;
        return null;
      end $$;
      create trigger ${name} before ${event} on ${table} for each statement execute function ${name}();`);
    return async () => {
      const [row] = await sql().unsafe<{ n: string }[]>(`select last_value::text as n from ${name}`);
      await sql().unsafe(`drop trigger ${name} on ${table}; drop function ${name}(); drop sequence ${name};`);
      return Number(row!.n);
    };
  }

  /** What the run and the tables say about every object: each once, written, logged once, its contract linking its register object. */
  async function assertEachObjectOnce(run: any, job: HttpToPostgresJob, action: 'created' | 'updated', expected: number) {
    const [counts] = await sql()<{ logs: number; distinct_logs: number; contracts: number; linked: number; written: number; space: number; rows: number }[]>`
      select
        (select count(*)::int from run_log_entries where run_id = ${run.id}::uuid and action = ${action}) as logs,
        (select count(distinct origin_id)::int from run_log_entries where run_id = ${run.id}::uuid and action = ${action}) as distinct_logs,
        (select count(*)::int from contracts where task_id = ${job.taskId}) as contracts,
        (select count(*)::int from contracts k join register_objects r on r.id = k.register_object_id and r.external_key = k.origin_id
          where k.task_id = ${job.taskId}) as linked,
        (select count(*)::int from contracts where task_id = ${job.taskId} and target_id = origin_id and synced_origin_hash = origin_hash) as written,
        (select count(*)::int from connector_space_objects
          where connected_system_id = (select source_connection_id from jobs where id = ${job.jobId})) as space,
        (select count(*)::int from ${sql()(job.table)}) as rows`;
    assert.deepEqual({ ...counts }, { logs: expected, distinct_logs: expected, contracts: RECORDS, linked: RECORDS, written: RECORDS, space: RECORDS, rows: RECORDS });
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

  // A first run's pages: the connector space's COPY commits on its own, the register's on its own
  // too, the contracts' with the run log and the page's outcome once the register's has committed.
  // A retry after the register committed meets its objects: that page merges. (The retry's own
  // COPY of the contracts and run log does not wait for the register's and is rolled back with
  // it: one write more.)
  for (const [table, what, writes] of [
    ['connector_space_objects', 'the connector-space write', 4],
    ['register_objects', 'the register COPY', 4],
    ['contracts', 'the contracts COPY', 5],
    // Its failure leaves the contracts' and run log's transaction of page 0 rolled back, with the
    // next page's (2); the retry merges every page, logging each object one row each (run_logs).
    ['run_log_batches', 'the run log batch', 2],
  ] as const) {
    test(`a first run’s ${what} fails once: the page is retried whole, and every object lands once`, async () => {
      const { job } = await setUp(`fresh_${table}_fail`);
      const restore = await failOnce(table);
      const run = await runJob(job);
      assert.equal(await restore(), writes, 'one write per page (3), and page 0 again after its failed attempt');
      assert.equal(run.entityRuns[0].newRecordCount, String(RECORDS));
      assert.equal(run.entityRuns[0].errorRecordCount, '0');
      // History keeps the attempt that completed: the import of page 0 completed on its second.
      assert.equal((await attemptsOfImports(run))[0], 2);
      await assertEachObjectOnce(run, job, 'created', RECORDS);
      const [register] = await sql()<{ n: number }[]>`select count(*)::int as n from register_objects where workspace_id = ${job.workspaceId}`;
      assert.equal(register!.n, RECORDS, 'a failed attempt’s register rows are not written twice');
    });
  }

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

  // Seven pages: from page 4 on, a page's writes start while the page before writes its contracts
  // and run log (pages 1 and 3 analyze tables as they end, and the pages after them wait).
  const OVERLAPPING_PAGES = 7;

  // Page N ends with an object and page N+1 starts with it again, changed (as a shifting listing
  // would): pages 0 and 1 follow each other, pages 4 and 5 could overlap but for the shared object.
  for (const [total, at, table, how] of [
    [RECORDS, BATCH, 'two_pages', 'is looked up after the first page committed'],
    [OVERLAPPING_PAGES * BATCH, 5 * BATCH, 'overlapping_pages', 'on pages that may overlap waits for the first to commit'],
  ] as const) {
    test(`an object on two pages ${how}: created once, then changed`, async () => {
      // Object `at` ends its page and starts the next one again.
      const records = generateRecords(total - 1);
      const twice = { ...records[at - 1]!, name: `${String(records[at - 1]!.name)} again` };
      const source = await startSourceServer({ records: [...records.slice(0, at), twice, ...records.slice(at)] });
      servers.push(source);
      const job = await createHttpToPostgresJob(stack.app, { sourceUrl: source.url, database: stack.database, batchSize: BATCH, table });
      const run = await runJob(job);
      const entity = run.entityRuns[0];
      assert.deepEqual(
        { created: entity.newRecordCount, changed: entity.changedRecordCount, extracted: entity.extractedRecordCount },
        { created: String(records.length), changed: '1', extracted: String(records.length + 1) },
      );
      const [row] = await sql()<{ name: string }[]>`select name from ${sql()(job.table)} where _syncline_id = ${String(at)}`;
      assert.equal(row!.name, twice.name);
      const [counts] = await sql()<{ contracts: number; written: number; logs: number }[]>`
        select (select count(*)::int from contracts where task_id = ${job.taskId}) as contracts,
          (select count(*)::int from contracts where task_id = ${job.taskId} and synced_origin_hash = origin_hash and target_id = origin_id) as written,
          (select count(*)::int from run_log_entries where run_id = ${run.id}::uuid) as logs`;
      assert.deepEqual({ ...counts }, { contracts: records.length, written: records.length, logs: records.length + 1 });
    });
  }

  test('a page’s run log fails while the next page is writing: the next page commits on its own, the retry does the first again and answers the other, each object once', async () => {
    const source = await startSourceServer({ records: generateRecords(OVERLAPPING_PAGES * BATCH) });
    servers.push(source);
    const job = await createHttpToPostgresJob(stack.app, { sourceUrl: source.url, database: stack.database, batchSize: BATCH, table: 'overlapping_fail' });
    // Page 4's run log (the fifth) takes a second, then fails; each connector-space write records
    // when it came, on a sequence no rollback undoes.
    await sql().unsafe(`
      create sequence write_order; create sequence run_log_writes; create sequence failed_at;
      create table space_writes (n bigint not null);
      create function slow_failing_run_log() returns trigger language plpgsql as $$
      begin
        if nextval('run_log_writes') = 5 then
          perform pg_sleep(1);
          perform setval('failed_at', nextval('write_order'));
          raise exception 'the run log is briefly unavailable';
        end if;
        return null;
      end $$;
      create function record_space_write() returns trigger language plpgsql as $$
      begin insert into space_writes values (nextval('write_order')); return null; end $$;
      create trigger slow_failing_run_log before insert on run_log_batches for each statement execute function slow_failing_run_log();
      create trigger record_space_write after insert on connector_space_objects for each statement execute function record_space_write();`);
    // One import of every page, as the workflow's first would be given them with time enough.
    const runId = randomUUID();
    const args: ImportPageArgs = { runId, taskId: job.taskId, pageNo: 0, cursor: null, pageSize: BATCH, since: null, dryRun: false, synchronise: true, continueForMs: 60_000, maxPages: OVERLAPPING_PAGES };
    let retried: ImportPageResult;
    let spaceWrites: number[];
    let failedAt: number;
    try {
      await withActivities(async (activities) => {
        await assert.rejects(new MockActivityEnvironment().run(activities.importPage, args), /the run log is briefly unavailable/);
        retried = (await new MockActivityEnvironment().run(activities.importPage, args)) as ImportPageResult;
      });
      spaceWrites = (await sql()<{ n: string }[]>`select n::text from space_writes order by n`).map((r) => Number(r.n));
      const [failed] = await sql()<{ n: string }[]>`select last_value::text as n from failed_at`;
      failedAt = Number(failed!.n);
    } finally {
      await sql().unsafe(`
        drop trigger slow_failing_run_log on run_log_batches; drop trigger record_space_write on connector_space_objects;
        drop function slow_failing_run_log(); drop function record_space_write();
        drop table space_writes; drop sequence write_order; drop sequence run_log_writes; drop sequence failed_at;`);
    }
    // Each page wrote the connector space once (the retry of page 4 found its objects there).
    assert.equal(spaceWrites.length, OVERLAPPING_PAGES);
    assert.ok(spaceWrites[5]! < failedAt, `page 5 wrote the connector space while page 4 wrote its run log (${spaceWrites.join(', ')}; failed at ${failedAt})`);

    const total = OVERLAPPING_PAGES * BATCH;
    // The retry answers the committed pages' outcomes and does page 4 again: the whole import, once.
    assert.equal(retried!.pages, OVERLAPPING_PAGES);
    assert.equal(retried!.nextCursor, null);
    assert.deepEqual({ ...retried!.synchronised }, { created: total, changed: 0, unchanged: 0, failed: 0, queued: 0 });
    const [counts] = await sql()<{ logs: number; distinct_logs: number; contracts: number; linked: number; register: number; space: number; rows: number }[]>`
      select
        (select count(*)::int from run_log_entries where run_id = ${runId}::uuid and action = 'created') as logs,
        (select count(distinct origin_id)::int from run_log_entries where run_id = ${runId}::uuid and action = 'created') as distinct_logs,
        (select count(*)::int from contracts where task_id = ${job.taskId}) as contracts,
        (select count(*)::int from contracts k join register_objects r on r.id = k.register_object_id and r.external_key = k.origin_id
          where k.task_id = ${job.taskId} and k.target_id = k.origin_id) as linked,
        (select count(*)::int from register_objects where workspace_id = ${job.workspaceId}) as register,
        (select count(*)::int from connector_space_objects
          where connected_system_id = (select source_connection_id from jobs where id = ${job.jobId})) as space,
        (select count(*)::int from ${sql()(job.table)}) as rows`;
    assert.deepEqual({ ...counts }, { logs: total, distinct_logs: total, contracts: total, linked: total, register: total, space: total, rows: total });
  });

  /**
   * Records how each statement that writes the tables began ('copy' or 'insert'/'with'), once it
   * succeeded (statement triggers fire for COPY too); the function it returns removes the
   * recorder and answers what it saw, table by table.
   */
  async function recordWrites(tables: string[]): Promise<() => Promise<Record<string, string[]>>> {
    await sql().unsafe(`
      create table recorded_writes (n bigserial, table_name text, verb text);
      create function record_write() returns trigger language plpgsql as $$
      begin
        insert into recorded_writes (table_name, verb) values (TG_TABLE_NAME, lower(substring(current_query() from '^\\s*(\\w+)')));
        return null;
      end $$;
      ${tables.map((t) => `create trigger record_write after insert on ${t} for each statement execute function record_write();`).join('\n')}`);
    return async () => {
      const rows = await sql()<{ table_name: string; verb: string }[]>`select table_name, verb from recorded_writes order by n`;
      await sql().unsafe(`${tables.map((t) => `drop trigger record_write on ${t};`).join(' ')} drop function record_write(); drop table recorded_writes;`);
      const seen: Record<string, string[]> = {};
      for (const r of rows) (seen[r.table_name] ??= []).push(r.verb);
      return seen;
    };
  }

  const FRESH_TABLES = ['connector_space_objects', 'register_objects', 'contracts'];

  test('a first run copies each page straight into the connector space, the register and the contracts, and logs it as one batch', async () => {
    const { job } = await setUp('copied_fresh');
    // The destination table made beforehand, with its key only: the first page adds its columns.
    await sql().unsafe(`create schema if not exists warehouse;
      create table ${job.table} (_syncline_id text primary key, _syncline_synced_at timestamptz not null default now())`);
    const writes = await recordWrites([...FRESH_TABLES, 'run_log_batches', 'run_logs', job.table]);
    const run = await runJob(job);
    const seen = await writes();
    for (const table of [...FRESH_TABLES, 'copied_fresh']) assert.deepEqual(seen[table], ['copy', 'copy', 'copy'], `${table}: one COPY per page`);
    assert.deepEqual(seen.run_log_batches, ['insert', 'insert', 'insert'], "the run log: one batch per page, the page's creates");
    assert.equal(seen.run_logs, undefined, 'no object logged one row each');
    await assertEachObjectOnce(run, job, 'created', RECORDS);
    // The rows say what the merging statements would have said.
    const [linked] = await sql()<{ contracts: number; logs: number; space: number }[]>`
      select
        (select count(*)::int from contracts k join register_objects r on r.id = k.register_object_id and r.external_key = k.origin_id
          where k.task_id = ${job.taskId} and k.last_action = 'create' and k.target_hash = r.hash and k.last_run_id = ${run.id}::uuid
            and k.last_synced_at is not null) as contracts,
        (select count(*)::int from run_log_entries where run_id = ${run.id}::uuid and target_id = origin_id and error is null
          and expires_at > now() + interval '1 day') as logs,
        (select count(*)::int from connector_space_objects where last_changed_run_id = ${run.id}::uuid and deleted_at is null
          and data->>'id' = external_id) as space`;
    assert.deepEqual({ ...linked }, { contracts: RECORDS, logs: RECORDS, space: RECORDS });
    const changed = await runJob(job);
    assert.equal(changed.entityRuns[0].unchangedRecordCount, String(RECORDS), 'the copied contracts settle every object');
  });

  test('objects are stored as the page wrote their JSON: the connector space as the source sent it, the register as the stable JSON its hash is of', async () => {
    const { source, job } = await setUp('stored_json');
    const [system] = await sql()<{ id: number }[]>`select source_connection_id as id from jobs where id = ${job.jobId}`;
    const assertStoredAsWritten = async (when: string) => {
      const space = await sql()<{ external_id: string; text: string }[]>`
        select external_id, data::text as text from connector_space_objects where connected_system_id = ${system!.id}`;
      const sent = new Map(source.records.map((r) => [String(r.id), JSON.stringify(r)]));
      assert.equal(space.length, RECORDS, when);
      assert.deepEqual(space.filter((r) => r.text !== sent.get(r.external_id)), [], `${when}: the connector space holds the source's text`);
      const [register] = await sql()<{ objects: number; unlike: number }[]>`
        select count(*)::int as objects,
          count(*) filter (where encode(sha256(convert_to(data::text, 'UTF8')), 'hex') <> hash)::int as unlike
        from register_objects where workspace_id = ${job.workspaceId}`;
      assert.deepEqual({ ...register }, { objects: RECORDS, unlike: 0 }, `${when}: each register object's text is what its hash is of`);
    };
    await runJob(job);
    await assertStoredAsWritten('copied by a first run');
    // A changed object is merged into both, by statements that read it from working tables.
    source.records = source.records.map((r, i) => (i === 150 ? { ...r, name: `${String(r.name)} renamed`, note: 'added' } : r));
    const run = await runJob(job);
    assert.equal(run.entityRuns[0].changedRecordCount, '1');
    await assertStoredAsWritten('merged by a later run');
  });

  test('a page mixing objects known to neither store with changed and contract-less ones: each gets its own action and data', async () => {
    const { source, job } = await setUp('mixed_page');
    await runJob(job);
    // On the second page, in this order: a changed object, one whose contract is gone (known to
    // the connector space alone), a new one (known to neither), and another changed one. The
    // look-up answers the known ones as rows and the new one as a place: they must interleave.
    const records = source.records.map((r, i) => (i === 110 || i === 190 ? { ...r, name: `${String(r.name)} renamed` } : r));
    const added: JsonObject = { ...records[150]!, id: 9000, name: 'Newcomer' };
    records.splice(150, 0, added);
    source.records = records;
    const contractless = String(records[130]!.id);
    await sql()`delete from contracts where task_id = ${job.taskId} and origin_id = ${contractless}`;
    const run = await runJob(job);
    const entity = run.entityRuns[0];
    assert.deepEqual(
      [entity.newRecordCount, entity.changedRecordCount, entity.unchangedRecordCount, entity.errorRecordCount],
      ['2', '2', String(RECORDS - 3), '0'],
    );
    const logged = await sql()<{ origin_id: string; action: string }[]>`
      select origin_id, action from run_log_entries where run_id = ${run.id}::uuid order by origin_id`;
    assert.deepEqual(
      logged.map((e) => [e.origin_id, e.action]),
      [[contractless, 'created'], [String(records[110]!.id), 'updated'], [String(records[191]!.id), 'updated'], ['9000', 'created']].sort((a, b) => a[0]!.localeCompare(b[0]!)),
    );
    // Every object's connector space and destination row hold its own record.
    const space = await sql()<{ external_id: string; hash: string }[]>`
      select external_id, hash from connector_space_objects where connected_system_id = (select source_connection_id from jobs where id = ${job.jobId})`;
    const expected = new Map(records.map((r) => [String(r.id), hashObject(r)]));
    assert.equal(space.length, RECORDS + 1);
    assert.deepEqual(space.filter((r) => expected.get(r.external_id) !== r.hash), []);
    const rows = await sql().unsafe<{ id: string; name: string }[]>(`select _syncline_id as id, name from ${job.table}`);
    const names = new Map(records.map((r) => [String(r.id), r.name]));
    assert.equal(rows.length, RECORDS + 1);
    assert.deepEqual(rows.filter((r) => names.get(r.id) !== r.name), []);
    const [contracts] = await sql()<{ n: number }[]>`
      select count(*)::int as n from contracts k join register_objects r on r.id = k.register_object_id and r.external_key = k.origin_id
      where k.task_id = ${job.taskId} and k.target_id = k.origin_id and k.synced_origin_hash = k.origin_hash`;
    assert.equal(contracts!.n, RECORDS + 1);
  });

  test('a new answer’s objects are stored in the connector space as the source sent them: across lines, with escapes', async () => {
    const records = generateRecords(RECORDS).map((r, i) => (i % 7 === 0 ? { ...r, note: 'tab\there, "quoted", back\\slash,\nnew line, \\N' } : r));
    // Each record on lines of its own, indented with tabs: bytes a COPY must escape between its tokens too.
    const spread = (body: unknown) => {
      const { data, total } = body as { data: { items: JsonObject[] }; total: number };
      return `{"data": {"items": [\n${data.items.map((r) => JSON.stringify(r, null, '\t')).join(',\n')}\n]}, "total": ${total}}`;
    };
    const source = await startSourceServer({ records, render: spread });
    servers.push(source);
    const job = await createHttpToPostgresJob(stack.app, { sourceUrl: source.url, database: stack.database, batchSize: BATCH, table: 'spread_text' });
    const run = await runJob(job);
    assert.equal(run.entityRuns[0].newRecordCount, String(RECORDS));
    const space = await sql()<{ external_id: string; text: string; note: string | null }[]>`
      select external_id, data::text as text, data->>'note' as note from connector_space_objects
      where connected_system_id = (select source_connection_id from jobs where id = ${job.jobId})`;
    const sent = new Map(records.map((r) => [String(r.id), JSON.stringify(r, null, '\t')]));
    assert.equal(space.length, RECORDS);
    assert.deepEqual(space.filter((r) => r.text !== sent.get(r.external_id)), [], 'each object’s text is the source’s, byte for byte');
    assert.deepEqual(space.filter((r) => r.note !== (records.find((x) => String(x.id) === r.external_id)!.note ?? null)), []);
    const [hashes] = await sql()<{ unlike: number }[]>`
      select count(*)::int as unlike from connector_space_objects c
      where c.connected_system_id = (select source_connection_id from jobs where id = ${job.jobId})
        and c.hash <> all(${records.map((r) => hashObject(r))}::text[])`;
    assert.equal(hashes!.unlike, 0, 'the hashes are of the objects, whatever their text');
  });

  test('a table’s rows are stored in the connector space as row_to_json wrote them, exact numbers kept', async () => {
    await sql().unsafe(`
      create schema if not exists table_source;
      create table table_source.items (id integer primary key, name text, price numeric(10, 2), big bigint, note text);
      insert into table_source.items select i, 'item ' || i, i * 1.25, 9007199254740993 + i, case when i % 5 = 0 then e'tab\\there\\\\ "q"' end
      from generate_series(1, ${RECORDS}) as i;`);
    const created = async (path: string, body: unknown) => {
      const res = await call(stack.app, 'POST', path, body);
      assert.equal(res.status, 201, `${path}: ${JSON.stringify(res.body)}`);
      return res.body.id as number;
    };
    const workspaceId = await created('/api/v1/workspaces', { name: 'table source' });
    const connection = (schema: string) => ({ workspaceId, name: schema, connectorType: 'postgres', config: { ...stack.database.connection, schema } });
    const sourceConnectionId = await created('/api/v1/synchronisation/connected-systems', connection('table_source'));
    const destinationConnectionId = await created('/api/v1/synchronisation/connected-systems', connection('table_copies'));
    const jobId = await created(`/api/v1/workspaces/${workspaceId}/jobs`, { name: 'table to table', sourceConnectionId, destinationConnectionId, batchSize: BATCH });
    await created(`/api/v1/jobs/${jobId}/tasks`, { sourceEntity: 'items', targetEntity: 'items', idField: 'id' });
    const started = await call(stack.app, 'POST', `/api/v1/jobs/${jobId}/execute`);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const run = await waitForRun(stack.app, started.body.runId);
    assert.equal(run.state, 'SUCCEEDED', JSON.stringify(run.errors));
    assert.equal(run.entityRuns[0].newRecordCount, String(RECORDS));
    const unlike = await sql()<{ external_id: string }[]>`
      select c.external_id from connector_space_objects c join table_source.items t on t.id::text = c.external_id
      where c.connected_system_id = ${sourceConnectionId} and c.data::text <> row_to_json(t)::text`;
    assert.deepEqual([...unlike], []);
    const [stored] = await sql()<{ n: number; exact: number }[]>`
      select count(*)::int as n, count(*) filter (where data::text like '%"price":12.50,"big":9007199254741003,%')::int as exact
      from connector_space_objects where connected_system_id = ${sourceConnectionId}`;
    assert.deepEqual({ ...stored }, { n: RECORDS, exact: 1 });
    const [copied] = await sql().unsafe<{ n: number; notes: number }[]>(`select count(*)::int as n, count(note)::int as notes from table_copies.items`);
    assert.deepEqual({ ...copied }, { n: RECORDS, notes: RECORDS / 5 });
  });

  test('an answer not in UTF-8 is stored as it reads, its bad bytes replaced, as before', async () => {
    const records = generateRecords(20).map((r, i) => (i === 3 ? { ...r, name: 'Zoë Café' } : r));
    const source = await startSourceServer({ records, render: (body) => Buffer.from(JSON.stringify(body), 'latin1') });
    servers.push(source);
    const job = await createHttpToPostgresJob(stack.app, { sourceUrl: source.url, database: stack.database, batchSize: BATCH, table: 'latin1_text' });
    await runJob(job);
    const [space] = await sql()<{ name: string }[]>`
      select data->>'name' as name from connector_space_objects
      where connected_system_id = (select source_connection_id from jobs where id = ${job.jobId}) and external_id = ${String(records[3]!.id)}`;
    assert.equal(space!.name, 'Zo\ufffd Caf\ufffd');
  });

  test('a first run whose register objects another task created merges them: each contract links the object that was there', async () => {
    const { job } = await setUp('shared_register');
    await runJob(job);
    const before = await sql()`select id, external_key from register_objects where workspace_id = ${job.workspaceId} order by id`;
    // A second task of the same job projects the same objects into the same register.
    const [first] = await sql()<{ mapping_id: number }[]>`select mapping_id from tasks where id = ${job.taskId}`;
    const second = await call(stack.app, 'POST', `/api/v1/jobs/${job.jobId}/tasks`, {
      sourceEntity: '/records',
      targetEntity: job.table.split('.')[1],
      resultsPosition: 'data.items',
      mappingId: first!.mapping_id,
    });
    assert.equal(second.status, 201, JSON.stringify(second.body));
    const writes = await recordWrites(['register_objects', 'contracts', job.table]);
    const run = await runJob(job);
    const seen = await writes();
    assert.ok(seen.register_objects?.every((verb) => verb !== 'copy'), `the register merged: ${JSON.stringify(seen)}`);
    // The table holds the first task's rows: the second task's pages merge into it, one statement each.
    assert.deepEqual(seen.shared_register, ['insert', 'insert', 'insert']);
    const [task] = await sql()<{ contracts: number; linked: number; logs: number }[]>`
      select
        (select count(*)::int from contracts where task_id = ${second.body.id}) as contracts,
        (select count(*)::int from contracts k join register_objects r on r.id = k.register_object_id and r.external_key = k.origin_id
          where k.task_id = ${second.body.id} and k.target_id = k.origin_id) as linked,
        (select count(*)::int from run_log_entries where run_id = ${run.id}::uuid and task_id = ${second.body.id} and action = 'created') as logs`;
    assert.deepEqual({ ...task }, { contracts: RECORDS, linked: RECORDS, logs: RECORDS });
    assert.deepEqual(await sql()`select id, external_key from register_objects where workspace_id = ${job.workspaceId} order by id`, before);
  });

  test('new objects another writer put in the connector space since the look-up are merged, not copied twice', async () => {
    const { job } = await setUp('space_raced');
    const [system] = await sql()<{ id: number }[]>`select source_connection_id as id from jobs where id = ${job.jobId}`;
    const ctx = { source: { id: system!.id }, spaceEntity: '/records' } as unknown as TaskContext;
    const page = { runId: '00000000-0000-4000-8000-000000000001', taskId: job.taskId, pageNo: 0 };
    const row = (id: string, name: string) => ({ external_id: id, origin_hash: `hash-${name}`, space: 'create' as const, data: { id, name } });
    assert.equal(await writeConnectorSpace(sql(), ctx, page, [row('a', 'first'), row('b', 'first')]), 'copied');
    // Both were created since the look-up; 'c' is new.
    assert.equal(await writeConnectorSpace(sql(), ctx, page, [row('a', 'second'), row('b', 'first'), row('c', 'first')]), 'merged');
    const space = await sql()`select external_id, hash, data->>'name' as name from connector_space_objects where connected_system_id = ${system!.id} order by external_id`;
    assert.deepEqual(
      space.map((r) => ({ ...r })),
      [
        { external_id: 'a', hash: 'hash-second', name: 'second' },
        { external_id: 'b', hash: 'hash-first', name: 'first' },
        { external_id: 'c', hash: 'hash-first', name: 'first' },
      ],
    );
  });

  /** The engine's activities on pools of their own, as a worker holds them, for calling one directly. */
  async function withActivities(use: (activities: ReturnType<typeof createActivities>) => Promise<void>): Promise<void> {
    const pools = new ConnectionPools();
    try {
      await use(createActivities({ database: stack.database, secretBox: stack.deps.secretBox, pools, temporal: stack.env.client }));
    } finally {
      await pools.closeAll();
    }
  }

  const contractTimes = (taskId: number) => sql()`select origin_id, updated_at from contracts where task_id = ${taskId} order by origin_id`;

  test('an attempt retried after the page committed answers the first attempt’s outcome and reads nothing again', async () => {
    const { source, job } = await setUp('retried_after_commit');
    const first = await runJob(job);
    source.setRecords(source.records.map((r) => (Number(r.id) <= 3 ? { ...r, name: `${String(r.name)} (new)` } : r)));

    await withActivities(async (activities) => {
      const args = { runId: first.id, taskId: job.taskId, pageNo: 0, cursor: null, pageSize: BATCH, since: null, dryRun: false, synchronise: true };
      const pageZero = () => source.requests.filter((r) => new URL(r, source.url).searchParams.get('page') === '1').length;
      const requestsBefore = pageZero();
      const once = (await new MockActivityEnvironment().run(activities.importPage, args)) as ImportPageResult;
      assert.deepEqual({ ...once.synchronised }, { created: 0, changed: 3, unchanged: BATCH - 3, failed: 0, queued: 0 });
      const contractsAfterFirst = await contractTimes(job.taskId);

      const again = await new MockActivityEnvironment().run(activities.importPage, args);
      assert.deepEqual(again, once);
      assert.equal(pageZero() - requestsBefore, 1, 'the source page was read by the first attempt only');
      assert.deepEqual(await contractTimes(job.taskId), contractsAfterFirst);
      const [logs] = await sql()<{ n: number }[]>`select count(*)::int as n from run_log_entries where run_id = ${first.id}::uuid and action = 'updated'`;
      assert.equal(logs!.n, 3);
    });
  });

  test('an import of several pages retried after they committed answers their outcomes, page by page, and reads nothing again', async () => {
    const { source, job } = await setUp('retried_pages_after_commit');
    const first = await runJob(job);
    // Every page changes, so each one writes something its retry must not write again.
    source.setRecords(source.records.map((r) => (Number(r.id) % BATCH <= 2 ? { ...r, name: `${String(r.name)} (new)` } : r)));

    await withActivities(async (activities) => {
      const pages = Math.ceil(RECORDS / BATCH);
      const args = { runId: first.id, taskId: job.taskId, pageNo: 0, cursor: null, pageSize: BATCH, since: null, dryRun: false, synchronise: true, continueForMs: 60_000, maxPages: pages };
      const once = (await new MockActivityEnvironment().run(activities.importPage, args)) as ImportPageResult;
      assert.equal(once.pages, pages);
      assert.equal(once.nextCursor, null);
      const changed = source.records.filter((r) => Number(r.id) % BATCH <= 2).length;
      assert.deepEqual({ ...once.synchronised }, { created: 0, changed, unchanged: RECORDS - changed, failed: 0, queued: 0 });
      const contractsAfterFirst = await contractTimes(job.taskId);
      const requestsBefore = source.requests.length;

      const again = await new MockActivityEnvironment().run(activities.importPage, args);
      assert.deepEqual(again, once);
      assert.equal(source.requests.length, requestsBefore, 'no page was read again');
      assert.deepEqual(await contractTimes(job.taskId), contractsAfterFirst);
      const [logs] = await sql()<{ n: number }[]>`select count(*)::int as n from run_log_entries where run_id = ${first.id}::uuid and action = 'updated'`;
      assert.equal(logs!.n, changed);
    });
  });

  test('a page read ahead is mapped while the page before it is written, and its import maps it no more', async () => {
    const { source, job } = await setUp('mapped_ahead');
    const runId = randomUUID();
    const loaded = await createTaskContextLoader(stack.database.db, stack.deps.secretBox).load(runId, job.taskId);
    // The task's own compiled mapping, counting what it maps.
    const mappedIds: string[] = [];
    const map = Object.assign((input: JsonObject) => {
      mappedIds.push(String(input.id));
      return loaded.map(input);
    }, loaded.map);
    const ctx: TaskContext = { ...loaded, map };
    const records = source.records.slice(0, BATCH);
    const rows = records.map((data) => ({ external_id: String(data.id), hash: hashObject(data), data }));
    const next: HashedPage = {
      page: { records, nextCursor: null, totalCount: records.length, requests: 1, watermark: null },
      fetched: records.length,
      rows,
      ids: new Map(rows.map((r) => [r.external_id, 1])),
      duplicates: [],
      recordsRecognised: 0,
    };
    // A page far enough into the run to be looked up ahead, with no object in common with the one being written.
    const args: ImportPageArgs = { runId, taskId: job.taskId, pageNo: 3, cursor: '4', pageSize: BATCH, since: null, dryRun: false, synchronise: true };
    const writing: HashedPage = { ...next, rows: [], ids: new Map([['elsewhere', 1]]) };
    lookUpAhead(sql(), ctx)([writing], args, next);
    const ahead = await next.unsettledAhead;
    assert.equal(ahead?.objects.length, BATCH, 'every object is unsettled');
    assert.equal(ahead?.mapped?.results.length, BATCH);
    assert.deepEqual(mappedIds, rows.map((r) => r.external_id), 'each object was mapped ahead, once');

    const pools = new ConnectionPools();
    try {
      const logs = createRunLogWriter(sql(), DEFAULT_LOG_RETENTION);
      const outcome = (await new MockActivityEnvironment().run(() => synchroniseImportedPage(sql(), pools, logs, ctx, args, next))) as ImportPageResult;
      assert.equal(mappedIds.length, BATCH, 'the import mapped nothing again');
      assert.deepEqual({ ...outcome.synchronised }, { created: BATCH, changed: 0, unchanged: 0, failed: 0, queued: 0 });
    } finally {
      await pools.closeAll();
    }
    const [written] = await sql()<{ n: number; labelled: number }[]>`
      select count(*)::int as n, count(*) filter (where label = name || ' <' || email || '>')::int as labelled from warehouse.mapped_ahead`;
    assert.deepEqual({ ...written }, { n: BATCH, labelled: BATCH }, 'the destination holds what the mapping ahead made');
  });
});
