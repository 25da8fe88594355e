// `npm run bench:file-import [-- --records N]`: a FullImport run profile reads an N-row CSV
// (default 1,000,000) into the connector space through the real stack; prints the time and the
// worker process's peak RSS, and fails loudly if a row is missing or the worker passed 300 MB.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeCsvFile } from '../test/helpers/csv';
import { call, saveResult, startBenchStack, waitForRun } from './harness';

const RSS_LIMIT_MB = 300;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { records: { type: 'string', default: '1000000' }, 'page-size': { type: 'string', default: '5000' } } });
  const records = Number(values.records);
  const pageSize = Number(values['page-size']);
  const directory = mkdtempSync(path.join(os.tmpdir(), 'syncline-bench-'));
  const file = 'people.csv';
  await writeCsvFile(path.join(directory, file), records);
  const fileMb = Math.round(statSync(path.join(directory, file)).size / 1024 / 1024);

  const stack = await startBenchStack();
  try {
    const { app } = stack;
    const ws = await call(app, 'POST', '/api/v1/workspaces', { name: 'bench' });
    const files = await call(app, 'POST', '/api/v1/synchronisation/connected-systems', { workspaceId: ws.id, name: 'files', connectorType: 'file', config: { directory, format: 'csv' } });
    const warehouse = await call(app, 'POST', '/api/v1/synchronisation/connected-systems', {
      workspaceId: ws.id,
      name: 'warehouse',
      connectorType: 'postgres',
      config: { ...stack.database.connection, schema: 'warehouse' },
    });
    const job = await call(app, 'POST', `/api/v1/workspaces/${ws.id}/jobs`, { name: 'people', sourceConnectionId: files.id, destinationConnectionId: warehouse.id, batchSize: pageSize });
    await call(app, 'POST', `/api/v1/jobs/${job.id}/tasks`, { sourceEntity: file, targetEntity: 'people', idField: 'id' });
    const profile = await call(app, 'POST', `/api/v1/synchronisation/connected-systems/${files.id}/run-profiles`, { name: 'import', runType: 'FullImport', pageSize });

    const started = Date.now();
    const { activityId } = await call(app, 'POST', `/api/v1/synchronisation/connected-systems/${files.id}/run-profiles/${profile.id}/execute`);
    const run = await waitForRun(app, activityId);
    const seconds = (Date.now() - started) / 1000;
    const peakRssMb = stack.workerPeakRssMb();

    const [space] = await stack.database.sql<{ n: number }[]>`select count(*)::int as n from connector_space_objects`;
    const figures = {
      records,
      fileMb,
      pageSize,
      state: run.state,
      extracted: Number(run.entityRuns[0]?.extractedRecordCount ?? 0),
      inConnectorSpace: space!.n,
      seconds: Math.round(seconds * 10) / 10,
      recordsPerSecond: Math.round(records / seconds),
      workerPeakRssMb: peakRssMb,
    };
    await saveResult('file-import', figures, stack.database);
    if (run.state !== 'SUCCEEDED' || figures.extracted !== records || figures.inConnectorSpace !== records) {
      throw new Error(`file import incomplete: ${JSON.stringify(figures)} ${JSON.stringify(run.errors)}`);
    }
    if (peakRssMb >= RSS_LIMIT_MB) throw new Error(`worker peak RSS ${peakRssMb} MB ≥ ${RSS_LIMIT_MB} MB`);
  } finally {
    await stack.stop();
    rmSync(directory, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
