// The bulk tables (connector space, register, contracts, run logs) have no foreign keys to their
// parents; triggers on the parents delete their rows instead. Deleting a job, a connected system or
// a workspace leaves nothing of it behind, and nothing of anyone else's goes with it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createHttpToPostgresJob, type HttpToPostgresJob } from './helpers/fixtures';
import { generateRecords, startSourceServer, type SourceServer } from './helpers/source-server';
import { call, startTestStack, waitForRun, type TestStack } from './helpers/stack';

const RECORDS = 30;

describe('deleting a parent deletes its bulk rows', () => {
  let stack: TestStack;
  let source: SourceServer;
  let doomed: HttpToPostgresJob;
  let kept: HttpToPostgresJob;
  const runIds: Record<string, string> = {};

  before(async () => {
    [stack, source] = await Promise.all([startTestStack(), startSourceServer({ records: generateRecords(RECORDS) })]);
    doomed = await createHttpToPostgresJob(stack.app, { sourceUrl: source.url, database: stack.database, batchSize: 10, table: 'doomed' });
    kept = await createHttpToPostgresJob(stack.app, { sourceUrl: source.url, database: stack.database, batchSize: 10, table: 'kept' });
    for (const [name, job] of [['doomed', doomed], ['kept', kept]] as const) {
      const started = await call(stack.app, 'POST', `/api/v1/jobs/${job.jobId}/execute`);
      assert.equal(started.status, 202, JSON.stringify(started.body));
      const run = await waitForRun(stack.app, started.body.runId);
      assert.equal(run.state, 'SUCCEEDED', JSON.stringify(run.errors));
      runIds[name] = run.id;
    }
  });

  after(async () => {
    await Promise.allSettled([stack?.stop(), source?.close()]);
  });

  const sql = () => stack.database.sql;
  const count = async (rows: PromiseLike<{ n: number }[]>) => (await rows)[0]!.n;
  const contractsOf = (job: HttpToPostgresJob) => count(sql()<{ n: number }[]>`select count(*)::int as n from contracts where task_id = ${job.taskId}`);
  const logsOf = (runId: string) => count(sql()<{ n: number }[]>`select count(*)::int as n from run_log_entries where run_id = ${runId}::uuid`);
  const registerOf = (job: HttpToPostgresJob) => count(sql()<{ n: number }[]>`select count(*)::int as n from register_objects where workspace_id = ${job.workspaceId}`);
  const sourceOf = async (job: HttpToPostgresJob) => (await call(stack.app, 'GET', `/api/v1/jobs/${job.jobId}`)).body.sourceConnectionId as number;
  const spaceOf = (systemId: number) => count(sql()<{ n: number }[]>`select count(*)::int as n from connector_space_objects where connected_system_id = ${systemId}`);
  const rememberedPagesOf = (systemId: number) => count(sql()<{ n: number }[]>`select count(*)::int as n from source_pages where connected_system_id = ${systemId}`);

  test('deleting a job deletes its contracts and its runs with their logs', async () => {
    assert.equal(await contractsOf(doomed), RECORDS);
    assert.equal(await logsOf(runIds.doomed!), RECORDS);
    const deleted = await call(stack.app, 'DELETE', `/api/v1/jobs/${doomed.jobId}`);
    assert.equal(deleted.status, 204, JSON.stringify(deleted.body));
    assert.equal(await contractsOf(doomed), 0);
    assert.equal(await logsOf(runIds.doomed!), 0);
    assert.equal(await contractsOf(kept), RECORDS);
    assert.equal(await logsOf(runIds.kept!), RECORDS);
  });

  test('deleting a connected system deletes its connector space and the pages it remembers', async () => {
    const doomedSource = (await sql()<{ id: number }[]>`select id from connected_systems where workspace_id = ${doomed.workspaceId} and connector_type = 'http-json'`)[0]!.id;
    const keptSource = await sourceOf(kept);
    assert.equal(await spaceOf(doomedSource), RECORDS);
    // Three pages of 10 records each.
    assert.equal(await rememberedPagesOf(doomedSource), 3);
    const deleted = await call(stack.app, 'DELETE', `/api/v1/synchronisation/connected-systems/${doomedSource}`);
    assert.equal(deleted.status, 204, JSON.stringify(deleted.body));
    assert.equal(await spaceOf(doomedSource), 0);
    assert.equal(await rememberedPagesOf(doomedSource), 0);
    assert.equal(await spaceOf(keptSource), RECORDS);
    assert.equal(await rememberedPagesOf(keptSource), 3);
  });

  test('deleting a workspace deletes its register, and with its jobs their contracts and logs', async () => {
    assert.equal(await registerOf(doomed), RECORDS);
    await sql()`delete from workspaces where id = ${doomed.workspaceId}`;
    assert.equal(await registerOf(doomed), 0);
    assert.equal(await registerOf(kept), RECORDS);

    const keptSource = await sourceOf(kept);
    await sql()`delete from workspaces where id = ${kept.workspaceId}`;
    assert.equal(await registerOf(kept), 0);
    assert.equal(await contractsOf(kept), 0);
    assert.equal(await logsOf(runIds.kept!), 0);
    assert.equal(await spaceOf(keptSource), 0);
  });
});
