// A task's contracts, listed page by page in id order through the task's own contracts only
// (keyed by id alone, a task's first page walked the contracts of every task created before it),
// and forgotten one by one by their id.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { contractPage } from '../api/routes/contracts/list';
import { createTestDatabase, type TestDatabase } from './helpers/database';
import { executedPlan, readsByIndexRange } from './helpers/plan';
import { databaseOnlyApp, readEveryPage } from './helpers/stack';

let database: TestDatabase;
let api: ReturnType<typeof databaseOnlyApp>;

before(async () => {
  database = await createTestDatabase();
  // The contract routes of a job with no live run never reach Temporal.
  api = databaseOnlyApp(database);
});

after(async () => {
  await api?.close();
  await database?.drop();
});

test("a task's contracts are read page by page in id order through the task's own, not the older tasks'", async () => {
  const { sql } = database;
  const [workspace] = await sql<{ id: number }[]>`insert into workspaces (name) values ('contracts') returning id`;
  const [system] = await sql<{ id: number }[]>`
    insert into connected_systems (workspace_id, name, connector_type, config) values (${workspace!.id}, 'db', 'postgres', '{}') returning id`;
  const [job] = await sql<{ id: number }[]>`
    insert into jobs (workspace_id, name, source_connection_id, destination_connection_id)
    values (${workspace!.id}, 'j', ${system!.id}, ${system!.id}) returning id`;
  const tasks = await sql<{ id: number }[]>`
    insert into tasks (job_id, index, source_entity, target_entity)
    select ${job!.id}, i, 'people' || i, 'people' || i from generate_series(0, 2) i order by i returning id`;
  const [older, task, beside] = tasks.map((t) => t.id) as [number, number, number];
  await sql`insert into contracts (task_id, origin_id, origin_hash) select ${older}, i::text, 'h' || i from generate_series(1, 50000) i`;
  // The task's contracts interleave with those of a task beside it, as two tasks running at once write them.
  await sql`
    insert into contracts (task_id, origin_id, origin_hash, target_id)
    select case when i % 2 = 0 then ${task}::int else ${beside}::int end, 'o' || i, 'h' || i, 't' || i from generate_series(1, 300) i order by i`;
  await sql`analyze contracts`;

  const { app } = api;
  type Listed = { id: number; taskId: number; originId: string; targetId: string | null };
  const list = () => readEveryPage<Listed>(app, `/api/v1/jobs/${job!.id}/tasks/${task}/contracts?limit=40`);
  const all = await list();
  assert.deepEqual(
    all.map((c) => [c.taskId, c.originId, c.targetId]),
    Array.from({ length: 150 }, (_, k) => [task, `o${2 * (k + 1)}`, `t${2 * (k + 1)}`]),
  );
  assert.ok(all.every((c, k) => k === 0 || c.id > all[k - 1]!.id), 'contracts come in id order');

  // One forgotten by its id is gone from the list; another task's id under this task is not found.
  const victim = all[70]!;
  assert.equal((await app.request(`/api/v1/jobs/${job!.id}/tasks/${task}/contracts/${victim.id}`, { method: 'DELETE' })).status, 204);
  const [other] = await sql<{ id: number }[]>`select id from contracts where task_id = ${beside} limit 1`;
  assert.equal((await app.request(`/api/v1/jobs/${job!.id}/tasks/${task}/contracts/${other!.id}`, { method: 'DELETE' })).status, 404);
  const left = await list();
  assert.deepEqual(
    left.map((c) => c.id),
    all.filter((c) => c.id !== victim.id).map((c) => c.id),
  );

  const plan = await executedPlan(sql, contractPage(database.db, { taskId: task, limit: 41 }).toSQL());
  assert.equal(readsByIndexRange(plan, 'contracts', 'task_id'), undefined);
});
