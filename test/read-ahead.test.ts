// The import reads the next two pages while a page is written. The second of them is asked for as
// soon as the source has answered for the first, before that one is hashed, so that a remote
// source's round trip overlaps the hashing instead of following it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Prefetcher } from '../activities/connectors/prefetch';
import { ConnectionPools } from '../activities/connectors/postgres-destination';
import type { HttpJsonConfig } from '../activities/connectors/types';
import { DEFAULT_LOG_RETENTION } from '../activities';
import { createRunLogWriter } from '../activities/run-logs';
import { readAheadKey, readImportPage, type HashedPage, type ImportPageArgs } from '../activities/steps/import-page';
import type { TaskContext } from '../activities/task-context';
import { createTestDatabase, type TestDatabase } from './helpers/database';
import { generateRecords, startSourceServer, type SourceServer } from './helpers/source-server';

// Large pages: hashing one takes many turns of the event loop (it gives way every 1,000 records).
const PAGE_SIZE = 20_000;

describe('read-ahead', () => {
  let source: SourceServer;
  let database: TestDatabase;
  const pools = new ConnectionPools();
  before(async () => {
    source = await startSourceServer({ records: generateRecords(PAGE_SIZE * 4) });
    database = await createTestDatabase();
  });
  after(async () => {
    await pools.closeAll();
    await source.close();
    await database.drop();
  });

  test('the page after the next is asked for before the next one is hashed', async () => {
    const config: HttpJsonConfig = { baseUrl: source.url, pagination: { type: 'page', pageParam: 'page', sizeParam: 'pageSize' }, totalPath: 'total' };
    const ctx = {
      source: { id: 1, connectorType: 'http-json', config, secrets: {}, version: 'read-ahead-test' },
      spaceEntity: '/records',
      idField: 'id',
      resultsPosition: 'data.items',
    } as unknown as TaskContext;
    const logs = createRunLogWriter(database.sql, DEFAULT_LOG_RETENTION);
    const prefetcher = new Prefetcher<HashedPage>(2);
    const args: ImportPageArgs = { runId: '00000000-0000-4000-8000-0000000000ad', taskId: 1, pageNo: 0, cursor: null, pageSize: PAGE_SIZE, since: null, dryRun: false };
    const pageOf = (request: string) => Number(new URL(request, source.url).searchParams.get('page'));

    // What the source had been asked for when each page read ahead was hashed.
    const askedWhenHashed = new Map<number, number[]>();
    let secondHashed!: () => void;
    const hashedSecond = new Promise<void>((resolve) => (secondHashed = resolve));
    try {
      const first: HashedPage = await new MockActivityEnvironment().run(async () =>
        readImportPage(database.sql, pools, logs, ctx, args, prefetcher, (_writing, nextArgs) => {
          askedWhenHashed.set(nextArgs.pageNo, source.requests.map(pageOf));
          if (nextArgs.pageNo === 1) secondHashed();
        }),
      );
      assert.equal(first.rows.length, PAGE_SIZE);
      await hashedSecond;
      assert.deepEqual(askedWhenHashed.get(1), [1, 2, 3], 'source page 3 was asked for while source page 2 was being hashed');
      const second = await prefetcher.take(readAheadKey(ctx, args, 1, '2'));
      assert.equal(second?.rows[0]?.external_id, String(PAGE_SIZE + 1), 'the second page is handed over to the import that comes for it');
    } finally {
      prefetcher.clear();
    }
  });
});
