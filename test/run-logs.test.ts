// Per-object run log entries: kept for their retention (failures longer than successes), pruned
// after it, and the retention comes from the environment through config.ts; a run's log is read
// page by page through its own entries only, those a first run wrote in batches among the rest.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createRunLogWriter, writeRunLogBatch } from '../activities/run-logs';
import { runLogRows } from '../api/routes/runs/logs';
import { ConfigError, loadConfig } from '../config';
import { createTestDatabase, type TestDatabase } from './helpers/database';
import { executedPlan, readsByIndexRange } from './helpers/plan';
import { databaseOnlyApp, readEveryPage } from './helpers/stack';

let database: TestDatabase;

before(async () => {
  database = await createTestDatabase();
});

after(async () => {
  await database?.drop();
});

/** A finished run of a run profile of its own, for log entries to belong to. */
async function insertRun(sql: TestDatabase['sql']): Promise<string> {
  const [workspace] = await sql<{ id: number }[]>`insert into workspaces (name) values ('logs') returning id`;
  const [system] = await sql<{ id: number }[]>`
    insert into connected_systems (workspace_id, name, connector_type, config) values (${workspace!.id}, 'f', 'file', '{"directory":"/tmp"}') returning id`;
  const [profile] = await sql<{ id: number }[]>`
    insert into run_profiles (connected_system_id, name, run_type) values (${system!.id}, 'p', 'FullImport') returning id`;
  const runId = randomUUID();
  await sql`insert into runs (id, workspace_id, run_profile_id, connected_system_id, run_type, state, trigger, workflow_id) values (${runId}::uuid, ${workspace!.id}, ${profile!.id}, ${system!.id}, 'FullImport', 'SUCCEEDED', 'MANUAL', 'test')`;
  return runId;
}

test('entries expire after their retention: successes and failures each by their own', async () => {
  const { sql } = database;
  const runId = await insertRun(sql);

  // Successes kept 0 days (already expired), failures 30 days.
  const writer = createRunLogWriter(sql, { successDays: 0, errorDays: 30 });
  await writer.write(runId, 0, [
    { originId: 'a', action: 'created' },
    { originId: 'b', action: 'updated' },
    { originId: 'c', action: 'failed', error: 'name: required field name missing' },
  ]);
  // Writing the same entries again (a retried activity) adds nothing.
  await writer.write(runId, 0, [{ originId: 'a', action: 'created' }]);
  assert.equal((await sql`select 1 from run_logs where run_id = ${runId}::uuid`).length, 3);

  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(await writer.prune(), 2);
  const left = await sql<{ origin_id: string; days: number }[]>`
    select origin_id, round(extract(epoch from expires_at - now()) / 86400)::int as days from run_logs where run_id = ${runId}::uuid`;
  assert.deepEqual([...left], [{ origin_id: 'c', days: 30 }]);
});

test('retention is read from RUN_LOG_SUCCESS_DAYS and RUN_LOG_ERROR_DAYS, with defaults and validation', () => {
  assert.deepEqual(loadConfig({}).runLogRetention, { successDays: 7, errorDays: 30 });
  assert.deepEqual(loadConfig({ RUN_LOG_SUCCESS_DAYS: '2', RUN_LOG_ERROR_DAYS: '90' }).runLogRetention, { successDays: 2, errorDays: 90 });
  assert.throws(() => loadConfig({ RUN_LOG_ERROR_DAYS: 'forever' }), (err: unknown) => err instanceof ConfigError && /RUN_LOG_ERROR_DAYS/.test(err.message));
});

test("a run's log is read page by page in id order through the run's own entries, not the older runs'", async () => {
  const { sql } = database;
  const [older, run, beside] = [await insertRun(sql), await insertRun(sql), await insertRun(sql)];
  await sql`
    insert into run_logs (run_id, task_id, origin_id, action, expires_at)
    select ${older}::uuid, 1, i::text, 'created', now() + interval '7 days' from generate_series(1, 50000) i`;
  // The run's entries interleave with those of a run beside it, as two runs logging at once do.
  await sql`
    insert into run_logs (run_id, task_id, origin_id, target_id, action, error, expires_at)
    select case when i % 2 = 0 then ${run}::uuid else ${beside}::uuid end, 2, 'o' || i,
           case when i % 5 = 0 then null else 't' || i end,
           case when i % 5 = 0 then 'failed' else 'updated' end,
           case when i % 5 = 0 then 'refused ' || i end, now() + interval '30 days'
    from generate_series(1, 500) i order by i`;
  await sql`analyze run_logs`;

  const { app, close } = databaseOnlyApp(database);
  try {
    type Entry = { id: number; originId: string; action: string; error: string | null };
    const all = await readEveryPage<Entry>(app, `/api/v1/runs/${run}/logs?limit=40`);
    assert.deepEqual(
      all.map((e) => e.originId),
      Array.from({ length: 250 }, (_, k) => `o${2 * (k + 1)}`),
    );
    assert.ok(all.every((e, k) => k === 0 || e.id > all[k - 1]!.id), 'entries come in id order');
    const failed = await readEveryPage<Entry>(app, `/api/v1/runs/${run}/logs?limit=40&action=failed`);
    assert.deepEqual(
      failed.map((e) => [e.originId, e.error]),
      Array.from({ length: 50 }, (_, k) => [`o${10 * (k + 1)}`, `refused ${10 * (k + 1)}`]),
    );
  } finally {
    await close();
  }

  // The first page is a range of the run's key: no older run's entry is read and dropped, nothing sorted.
  const plan = await executedPlan(sql, runLogRows(database.db, { runId: run, limit: 41 }).toSQL());
  assert.equal(readsByIndexRange(plan, 'run_logs', 'run_id'), undefined);
});

test("a first run's batches are listed among the per-object entries by id, each entry once, page by page and by action", async () => {
  const { sql } = database;
  const [run, beside] = [await insertRun(sql), await insertRun(sql)];
  const [kept] = await sql<{ expires: string }[]>`select (now() + interval '7 days')::text as expires`;
  const expires = kept!.expires;
  const failed = (run: string, from: number, to: number) => sql`
    insert into run_logs (run_id, task_id, origin_id, action, error, expires_at)
    select ${run}::uuid, 1, 'f' || i, 'failed', 'refused ' || i, now() + interval '30 days' from generate_series(${from}::int, ${to}::int) i`;
  await failed(run, 1, 5);
  await writeRunLogBatch(sql, { runId: run, taskId: 1, action: 'created', targeted: true, originIds: Array.from({ length: 60 }, (_, i) => `c${i}`), expiresAt: expires });
  await writeRunLogBatch(sql, { runId: beside, taskId: 1, action: 'created', targeted: true, originIds: ['other'], expiresAt: expires });
  await failed(run, 6, 8);
  await writeRunLogBatch(sql, { runId: run, taskId: 2, action: 'updated', targeted: false, originIds: ['u0', 'u1', 'u2'], expiresAt: expires });
  // A batch whose ids interleave with per-object rows', as when another run drew ids from the
  // sequence while the batch drew its own.
  const [drawn] = await sql<{ base: string }[]>`select setval('run_logs_id_seq', nextval('run_logs_id_seq') + 20)::text as base`;
  const at = (k: number) => String(Number(drawn!.base) - 20 + k);
  await sql`
    insert into run_log_batches (run_id, first_id, last_id, task_id, action, targeted, ids, origin_ids, expires_at)
    values (${run}::uuid, ${at(1)}, ${at(9)}, 3, 'created', true, ${sql.array([at(1), at(3), at(5), at(7), at(9)])}::bigint[],
            ${sql.array(['i1', 'i3', 'i5', 'i7', 'i9'])}::text[], ${expires}::timestamptz)`;
  await sql`
    insert into run_logs (id, run_id, task_id, origin_id, action, error, expires_at) overriding system value
    select ${at(0)}::bigint + i, ${run}::uuid, 3, 'g' || i, 'failed', 'refused', now() + interval '30 days' from unnest(array[2, 4, 6, 8]) i`;

  const expected = [
    ...['f1', 'f2', 'f3', 'f4', 'f5'],
    ...Array.from({ length: 60 }, (_, i) => `c${i}`),
    ...['f6', 'f7', 'f8', 'u0', 'u1', 'u2'],
    ...['i1', 'g2', 'i3', 'g4', 'i5', 'g6', 'i7', 'g8', 'i9'],
  ];
  const { app, close } = databaseOnlyApp(database);
  try {
    type Entry = { id: number; taskId: number; originId: string; targetId: string | null; action: string; error: string | null; createdAt: string };
    for (const limit of [1, 7, 60, 500]) {
      const all = await readEveryPage<Entry>(app, `/api/v1/runs/${run}/logs?limit=${limit}`);
      assert.deepEqual(all.map((e) => e.originId), expected, `pages of ${limit}`);
      assert.ok(all.every((e, k) => k === 0 || e.id > all[k - 1]!.id), 'entries come in id order');
    }
    const all = await readEveryPage<Entry>(app, `/api/v1/runs/${run}/logs?limit=500`);
    const byOrigin = new Map(all.map((e) => [e.originId, e]));
    assert.deepEqual(
      { ...byOrigin.get('c0'), id: 0, createdAt: undefined },
      { id: 0, taskId: 1, originId: 'c0', targetId: 'c0', action: 'created', error: null, createdAt: undefined },
    );
    assert.ok(Math.abs(Date.parse(byOrigin.get('c0')!.createdAt) - Date.now()) < 60_000, 'a batch entry has its time');
    assert.deepEqual([byOrigin.get('u1')!.targetId, byOrigin.get('u1')!.taskId, byOrigin.get('f7')!.error], [null, 2, 'refused 7']);
    const created = await readEveryPage<Entry>(app, `/api/v1/runs/${run}/logs?limit=8&action=created`);
    assert.deepEqual(created.map((e) => e.originId), expected.filter((o) => /^[ci]/.test(o)));
    const failures = await readEveryPage<Entry>(app, `/api/v1/runs/${run}/logs?limit=3&action=failed`);
    assert.deepEqual(failures.map((e) => e.originId), expected.filter((o) => /^[fg]/.test(o)));
    assert.deepEqual((await readEveryPage<Entry>(app, `/api/v1/runs/${beside}/logs?limit=10`)).map((e) => e.originId), ['other']);
  } finally {
    await close();
  }

  // Pruned by the same writer as the rest, counted by entry; deleted with their run.
  await sql`update run_log_batches set expires_at = now() - interval '1 second' where run_id = ${run}::uuid and task_id = 1`;
  assert.equal(await createRunLogWriter(sql, { successDays: 7, errorDays: 30 }).prune(), 60);
  await sql`delete from runs where id = ${beside}::uuid`;
  const [left] = await sql<{ batches: number; entries: number }[]>`
    select (select count(*)::int from run_log_batches where run_id = ${beside}::uuid) as batches,
           (select count(*)::int from run_log_entries where run_id = ${run}::uuid) as entries`;
  assert.deepEqual({ ...left }, { batches: 0, entries: expected.length - 60 });
});
