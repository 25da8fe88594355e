// How an HTTP source's answer is told apart (activities/connectors/sources.ts): the same answer to
// the same request, read the same way, has the same digest; anything that changes what the answer
// reads as changes it. A recognised answer is not parsed until its records are asked for.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConnectionPools } from '../activities/connectors/postgres-destination';
import { readSourcePage, type KnownPage, type PageRecognition, type SourceRead } from '../activities/connectors/sources';
import type { HttpJsonConfig } from '../activities/connectors/types';
import type { Connection } from '../activities/task-context';
import { generateRecords, startSourceServer, type SourceServer } from './helpers/source-server';

describe('recognising a source page', () => {
  let source: SourceServer;
  const pools = new ConnectionPools();
  before(async () => {
    source = await startSourceServer({ records: generateRecords(30) });
  });
  after(async () => {
    await pools.closeAll();
    await source.close();
  });

  const connection = (config: Partial<HttpJsonConfig> = {}): Connection =>
    ({
      id: 1,
      connectorType: 'http-json',
      config: { baseUrl: source.url, pagination: { type: 'page', pageParam: 'page', sizeParam: 'pageSize' }, totalPath: 'total', ...config },
      secrets: {},
      version: 'v1',
    }) as unknown as Connection;
  const read = (overrides: Partial<SourceRead> = {}): SourceRead => ({
    source: connection(),
    entity: '/records',
    idField: 'id',
    resultsPosition: 'data.items',
    cursor: null,
    pageSize: 10,
    since: null,
    ...overrides,
  });
  /** The recognition of the page's answer, as the import would look it up. */
  const recognitionOf = async (r: SourceRead): Promise<PageRecognition> => {
    let seen: PageRecognition | undefined;
    const lookUp = async (recognition: PageRecognition) => {
      seen = recognition;
      return undefined;
    };
    const page = await readSourcePage(pools, r, { requestKey: 'page 1', lookUp });
    assert.equal(page.recognised, undefined, 'an answer not looked up as known is read whole');
    assert.deepEqual(page.recognition, seen);
    return seen!;
  };

  test('the same answer to the same request has the same digest; a changed record changes it', async () => {
    const first = await recognitionOf(read());
    const again = await recognitionOf(read());
    assert.deepEqual(again, first);
    const records = generateRecords(30);
    source.setRecords(records.map((r, i) => (i === 3 ? { ...r, name: 'Someone Else' } : r)));
    const changed = await recognitionOf(read());
    assert.equal(changed.requestKey, 'page 1', 'the place is the reader\'s');
    assert.notEqual(changed.digest, first.digest);
    source.setRecords(records);
    assert.deepEqual(await recognitionOf(read()), first, 'the answer as it was is recognised again');
  });

  test('what decides how an answer reads is part of its digest', async () => {
    const base = await recognitionOf(read());
    const variants: [string, SourceRead][] = [
      ['id field', read({ idField: 'email' })],
      ['incremental field', read({ incrementalField: 'updatedAt' })],
      ['total path', read({ source: connection({ totalPath: 'count' }) })],
    ];
    for (const [what, variant] of variants) {
      const other = await recognitionOf(variant);
      assert.notEqual(other.digest, base.digest, `${what} changes the digest`);
    }
    // The cursor decides the next one (and so does the URL that answered): the same bytes read
    // at another cursor are another answer.
    const elsewhere = await recognitionOf(read({ cursor: '1' }));
    assert.notEqual(elsewhere.digest, base.digest);
  });

  test('a recognised answer stands for its records and parses them only when asked', async () => {
    const whole = await readSourcePage(pools, read({ cursor: '2' }));
    const known: KnownPage = {
      fetched: 10,
      externalIds: whole.records.map((r) => String(r.id)),
      hashes: whole.records.map(() => 'h'.repeat(64)),
      nextCursor: '3',
      totalCount: 30,
      watermark: null,
    };
    const page = await readSourcePage(pools, read({ cursor: '2' }), {
      requestKey: 'page 2',
      lookUp: async ({ digest }) => ({ ...known, digest, recordDigests: null }),
    });
    assert.ok(page.recognised);
    assert.deepEqual(page.records, [], 'nothing parsed');
    assert.equal(page.nextCursor, '3');
    assert.equal(page.totalCount, 30);
    assert.deepEqual(page.recognised.records(), whole.records, 'parsed when asked for');
    page.recognised.release();
    assert.throws(() => page.recognised!.records(), /after letting go/);
  });

  test('a new answer at a place remembered with record digests is handed over unparsed, record by record', async () => {
    const whole = await readSourcePage(pools, read({ cursor: '2' }));
    const earlier = {
      digest: 'an earlier answer',
      fetched: 10,
      externalIds: whole.records.map((r) => String(r.id)),
      hashes: whole.records.map(() => 'h'.repeat(64)),
      recordDigests: Buffer.alloc(10 * 32),
      nextCursor: '3',
      totalCount: 30,
      watermark: null,
    };
    let asked: PageRecognition | undefined;
    const page = await readSourcePage(pools, read({ cursor: '2' }), {
      requestKey: 'page 2',
      lookUp: async (recognition) => {
        asked = recognition;
        return earlier;
      },
    });
    assert.equal(page.recognised, undefined);
    assert.equal(page.earlier, earlier);
    assert.deepEqual(page.records, [], 'nothing parsed');
    assert.equal(page.parts?.count, 10);
    assert.equal(page.nextCursor, whole.nextCursor);
    assert.equal(page.totalCount, whole.totalCount);
    assert.deepEqual(page.parts.record(3), whole.records[3]);
    assert.equal(asked?.recordsReadAs, JSON.stringify([1, 'id']));

    // A task with an incremental field needs every record for its watermark: read whole.
    const incremental = await readSourcePage(pools, read({ cursor: '2', incrementalField: 'id' }), { requestKey: 'page 2', lookUp: async () => earlier });
    assert.equal(incremental.parts, undefined);
    assert.equal(incremental.records.length, 10);
    assert.equal(incremental.recognition?.recordsReadAs, null);
  });
});
