// The deletion check after a full import: objects of the connector space that no page of the run
// recorded are marked deleted and staged, and a retry reports the same number. A run that wrote
// every live object of its entity (a first run) has nothing unseen and skips the pass over the
// entity: shown here by objects its pages did not record, which it then leaves as they are.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { detectDeletions } from '../activities/steps/detect-deletions';
import type { TaskContext } from '../activities/task-context';
import { createTestDatabase, type TestDatabase } from './helpers/database';

let database: TestDatabase;

before(async () => {
  database = await createTestDatabase();
});

after(async () => {
  await database?.drop();
});

/** What detectDeletions reads of a task's context: the source and the entity. */
const contextOf = (systemId: number, entity: string) => ({ source: { id: systemId }, spaceEntity: entity }) as unknown as TaskContext;

/** Connector-space objects of an entity, as a run (or no run) wrote them; without their connected system (foreign keys are not checked in this session). */
async function addObjects(systemId: number, entity: string, ids: string[], runId: string | null): Promise<void> {
  await database.sql.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    await tx`
      insert into connector_space_objects (connected_system_id, entity, external_id, data, hash, last_changed_run_id)
      select ${systemId}, ${entity}, id, '{}', 'h', ${runId}::uuid from unnest(${ids}::text[]) as id`;
  });
}

async function recordPage(runId: string, taskId: number, pageNo: number, ids: string[]): Promise<void> {
  await database.sql`insert into sync_seen_pages (run_id, task_id, page_no, external_ids) values (${runId}::uuid, ${taskId}, ${pageNo}, ${ids}::text[])`;
}

async function deletedIds(systemId: number, entity: string): Promise<string[]> {
  const rows = await database.sql<{ external_id: string }[]>`
    select external_id from connector_space_objects
    where connected_system_id = ${systemId} and entity = ${entity} and deleted_at is not null order by external_id`;
  return rows.map((r) => r.external_id);
}

test('objects from before the run that no page recorded are marked deleted and staged, once', async () => {
  const [earlier, run] = [randomUUID(), randomUUID()];
  await addObjects(1, 'people', ['a', 'b', 'c'], earlier);
  await addObjects(1, 'people', ['n'], run);
  await recordPage(run, 7, 0, ['a', 'n']);
  const args = { runId: run, taskId: 7, pageNo: 1, dryRun: false };
  assert.deepEqual(await detectDeletions(database.sql, contextOf(1, 'people'), args), { deleted: 2 });
  assert.deepEqual(await deletedIds(1, 'people'), ['b', 'c']);
  const staged = await database.sql<{ external_id: string }[]>`
    select external_id from sync_staging where run_id = ${run}::uuid and task_id = 7 and space_action = 'delete' order by external_id`;
  assert.deepEqual(staged.map((r) => r.external_id), ['b', 'c']);
  // A retry, with every live object now seen (and its older ones written before the run), reports the same number.
  assert.deepEqual(await detectDeletions(database.sql, contextOf(1, 'people'), args), { deleted: 2 });
  assert.deepEqual(await deletedIds(1, 'people'), ['b', 'c']);
});

test('a run that wrote every live object of its entity skips the pass over the entity', async () => {
  const run = randomUUID();
  // Written by the run; 'y' and 'z' on no page of it, which only a run that did not write them could leave.
  await addObjects(2, 'people', ['x', 'y', 'z'], run);
  await recordPage(run, 8, 0, ['x']);
  const args = { runId: run, taskId: 8, pageNo: 1, dryRun: false };
  assert.deepEqual(await detectDeletions(database.sql, contextOf(2, 'people'), args), { deleted: 0 });
  assert.deepEqual(await deletedIds(2, 'people'), []);
  // One object from before the run, still live, and the pass runs: every unseen object is marked.
  await addObjects(2, 'people', ['old'], null);
  await database.sql`update connector_space_objects set change_seq = 0 where connected_system_id = 2 and external_id = 'old'`;
  assert.deepEqual(await detectDeletions(database.sql, contextOf(2, 'people'), args), { deleted: 3 });
  assert.deepEqual(await deletedIds(2, 'people'), ['old', 'y', 'z']);
});

test('an entity with no live object has nothing to mark', async () => {
  const run = randomUUID();
  await recordPage(run, 9, 0, ['p']);
  assert.deepEqual(await detectDeletions(database.sql, contextOf(3, 'people'), { runId: run, taskId: 9, pageNo: 1, dryRun: false }), { deleted: 0 });
});
