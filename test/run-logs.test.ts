// Per-object run log entries: kept for their retention (failures longer than successes), pruned
// after it, and the retention comes from the environment through config.ts.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createRunLogWriter } from '../activities/run-logs';
import { ConfigError, loadConfig } from '../config';
import { createTestDatabase, type TestDatabase } from './helpers/database';

let database: TestDatabase;

before(async () => {
  database = await createTestDatabase();
});

after(async () => {
  await database?.drop();
});

test('entries expire after their retention: successes and failures each by their own', async () => {
  const { sql } = database;
  const [workspace] = await sql<{ id: number }[]>`insert into workspaces (name) values ('logs') returning id`;
  const [system] = await sql<{ id: number }[]>`
    insert into connected_systems (workspace_id, name, connector_type, config) values (${workspace!.id}, 'f', 'file', '{"directory":"/tmp"}') returning id`;
  const [profile] = await sql<{ id: number }[]>`
    insert into run_profiles (connected_system_id, name, run_type) values (${system!.id}, 'p', 'FullImport') returning id`;
  const runId = randomUUID();
  await sql`insert into runs (id, workspace_id, run_profile_id, connected_system_id, run_type, state, trigger, workflow_id) values (${runId}::uuid, ${workspace!.id}, ${profile!.id}, ${system!.id}, 'FullImport', 'SUCCEEDED', 'MANUAL', 'test')`;

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
