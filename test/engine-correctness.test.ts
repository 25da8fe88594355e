// What the engine promises on every run: a register schema refuses objects one by one (the run
// ends WARNING and the log names the field), a dry run writes nothing, a deleted contract takes
// the create path again, and every change is explained in the run's logs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Sql } from '../db/client';
import { createHttpToPostgresJob, type HttpToPostgresJob } from './helpers/fixtures';
import { generateRecords, startSourceServer, type SourceServer } from './helpers/source-server';
import { call, startTestStack, waitForRun, type TestStack } from './helpers/stack';

const RECORDS = 100;

async function rowCounts(sql: Sql): Promise<Record<string, number>> {
  const tables = await sql<{ schema: string; name: string }[]>`
    select table_schema as schema, table_name as name from information_schema.tables
    where table_schema not in ('pg_catalog', 'information_schema', 'drizzle') and table_type = 'BASE TABLE'
    order by 1, 2`;
  const counts: Record<string, number> = {};
  for (const t of tables) {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from ${sql(`${t.schema}.${t.name}`)}`;
    counts[`${t.schema}.${t.name}`] = row!.n;
  }
  return counts;
}

describe('engine correctness on job runs', () => {
  let stack: TestStack;
  let source: SourceServer;
  let job: HttpToPostgresJob;

  before(async () => {
    [stack, source] = await Promise.all([startTestStack(), startSourceServer({ records: generateRecords(RECORDS) })]);
    job = await createHttpToPostgresJob(stack.app, { sourceUrl: source.url, database: stack.database, batchSize: 40, table: 'members' });
  });

  after(async () => {
    await Promise.allSettled([stack?.stop(), source?.close()]);
  });

  const run = async (body: unknown = {}) => {
    const started = await call(stack.app, 'POST', `/api/v1/jobs/${job.jobId}/execute`, body);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    return waitForRun(stack.app, started.body.runId);
  };
  const logs = async (runId: string, query = '') => (await call(stack.app, 'GET', `/api/v1/runs/${runId}/logs?limit=500${query}`)).body.items;

  test('a dry run reports what would change and leaves every table as it was', async () => {
    const before = await rowCounts(stack.database.sql);
    const dry = await run({ dryRun: true });
    assert.equal(dry.state, 'SUCCEEDED', JSON.stringify(dry.errors));
    assert.equal(dry.dryRun, true);
    const [entity] = dry.entityRuns;
    assert.equal(entity.extractedRecordCount, String(RECORDS));
    assert.equal(entity.newRecordCount, String(RECORDS));
    assert.equal(entity.changedRecordCount, '0');
    assert.equal(entity.deletedRecordCount, '0');
    const afterCounts = await rowCounts(stack.database.sql);
    // The run itself is history, recorded like any other run; every other table is untouched.
    const { 'public.runs': runsAfter, 'public.entity_runs': entityRunsAfter, ...restAfter } = afterCounts;
    const { 'public.runs': runsBefore, 'public.entity_runs': entityRunsBefore, ...restBefore } = before;
    assert.deepEqual(restAfter, restBefore);
    assert.equal(runsAfter, runsBefore! + 1);
    assert.equal(entityRunsAfter, entityRunsBefore! + 1);
  });

  test('a real run after the dry run creates everything and logs each object', async () => {
    const real = await run();
    assert.equal(real.state, 'SUCCEEDED', JSON.stringify(real.errors));
    assert.equal(real.entityRuns[0].newRecordCount, String(RECORDS));
    const entries = await logs(real.id);
    assert.equal(entries.length, RECORDS);
    assert.ok(entries.every((e: { action: string; targetId: string; originId: string }) => e.action === 'created' && e.targetId === e.originId));
  });

  test('a dry run counts changes and deletions without applying them', async () => {
    const all = source.records;
    source.setRecords(all.filter((r) => Number(r.id) !== 9).map((r) => (Number(r.id) <= 4 ? { ...r, name: `Dry ${String(r.id)}` } : r)));
    const before = await rowCounts(stack.database.sql);
    const dry = await run({ dryRun: true });
    const [entity] = dry.entityRuns;
    assert.equal(entity.changedRecordCount, '4');
    assert.equal(entity.deletedRecordCount, '1');
    assert.equal(entity.unchangedRecordCount, String(RECORDS - 5));
    const afterCounts = await rowCounts(stack.database.sql);
    assert.equal(afterCounts['warehouse.members'], before['warehouse.members']);
    assert.equal(afterCounts['public.connector_space_objects'], before['public.connector_space_objects']);
    const [{ n }] = (await stack.database.sql`select count(*)::int as n from connector_space_objects where deleted_at is not null`) as unknown as [{ n: number }];
    assert.equal(n, 0);
    source.setRecords(all);
  });

  test('deleting one contract makes the next run report exactly one created', async () => {
    const list = await call(stack.app, 'GET', `/api/v1/jobs/${job.jobId}/tasks/${job.taskId}/contracts?limit=5`);
    assert.equal(list.status, 200);
    assert.equal(list.body.items.length, 5);
    assert.ok(list.body.nextCursor);
    const victim = list.body.items[2];
    assert.ok(victim.targetId && victim.targetHash);
    assert.equal((await call(stack.app, 'DELETE', `/api/v1/jobs/${job.jobId}/tasks/${job.taskId}/contracts/${victim.id}`)).status, 204);
    assert.equal((await call(stack.app, 'DELETE', `/api/v1/jobs/${job.jobId}/tasks/${job.taskId}/contracts/${victim.id}`)).status, 404);
    const next = await run();
    assert.equal(next.state, 'SUCCEEDED', JSON.stringify(next.errors));
    const [entity] = next.entityRuns;
    assert.equal(entity.newRecordCount, '1');
    assert.equal(entity.changedRecordCount, '0');
    assert.equal(entity.unchangedRecordCount, String(RECORDS - 1));
    assert.deepEqual((await logs(next.id)).map((e: { originId: string; action: string }) => [e.originId, e.action]), [[victim.originId, 'created']]);
    assert.equal((await call(stack.app, 'GET', `/api/v1/jobs/${job.jobId}/tasks/999999/contracts`)).status, 404);
    assert.equal((await call(stack.app, 'GET', `/api/v1/jobs/${job.jobId}/tasks/${job.taskId}/contracts?limit=0`)).status, 400);
    assert.equal((await call(stack.app, 'DELETE', `/api/v1/jobs/${job.jobId}/tasks/${job.taskId}/contracts/not-an-id`)).status, 400);
  });

  test('a register schema that refuses 2 of 100 objects: WARNING, 2 errors naming the field, 98 land', async () => {
    // A second job on a fresh table, whose mapping's target schema refuses two objects.
    const workspaceId = (await call(stack.app, 'GET', `/api/v1/jobs/${job.jobId}`)).body.workspaceId;
    const jobBody = (await call(stack.app, 'GET', `/api/v1/jobs/${job.jobId}`)).body;
    const mapping = await call(stack.app, 'POST', '/api/v1/mappings', {
      workspaceId,
      name: 'strict',
      mapping: { id: 'id', name: 'name', email: 'email', nickname: 'nickname' },
      casts: { nickname: 'nullable' },
      targetSchema: {
        type: 'object',
        required: ['id', 'name', 'email'],
        properties: { id: { type: 'integer' }, name: { type: 'string' }, email: { type: 'string' }, nickname: { type: ['string', 'null'] } },
        additionalProperties: false,
      },
    });
    assert.equal(mapping.status, 201, JSON.stringify(mapping.body));
    const strictJob = await call(stack.app, 'POST', `/api/v1/workspaces/${workspaceId}/jobs`, {
      name: 'strict',
      sourceConnectionId: jobBody.sourceConnectionId,
      destinationConnectionId: jobBody.destinationConnectionId,
      batchSize: 30,
    });
    await call(stack.app, 'POST', `/api/v1/jobs/${strictJob.body.id}/tasks`, { sourceEntity: '/records', targetEntity: 'strict_members', resultsPosition: 'data.items', mappingId: mapping.body.id });
    // Object 17 has no name; object 61 carries a nickname object the schema does not allow.
    source.setRecords(source.records.map((r) => {
      if (Number(r.id) === 17) {
        const { name: _name, ...rest } = r;
        return rest;
      }
      return Number(r.id) === 61 ? { ...r, nickname: { first: 'x' } } : r;
    }));
    const started = await call(stack.app, 'POST', `/api/v1/jobs/${strictJob.body.id}/execute`);
    const result = await waitForRun(stack.app, started.body.runId);
    assert.equal(result.state, 'WARNING', JSON.stringify(result.errors));
    const [entity] = result.entityRuns;
    assert.equal(entity.state, 'WARNING');
    assert.equal(entity.errorRecordCount, '2');
    assert.equal(entity.newRecordCount, '98');
    const failed = await logs(result.id, '&action=failed');
    assert.deepEqual(failed.map((e: { originId: string }) => e.originId).sort(), ['17', '61']);
    const byId = Object.fromEntries(failed.map((e: { originId: string; error: string }) => [e.originId, e.error]));
    assert.match(byId['17'], /name/);
    assert.match(byId['61'], /nickname/);
    const [{ n }] = (await stack.database.sql`select count(*)::int as n from warehouse.strict_members`) as unknown as [{ n: number }];
    assert.equal(n, 98);
  });
});
