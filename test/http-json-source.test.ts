import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HttpJsonConfig, HttpJsonSecrets, JsonObject, SourceEntity } from '../activities/connectors/types';
import { fetchSourceBody, fetchSourcePage, readPath, recordId, SourceError } from '../activities/connectors/http-json-source';
import { generateRecords, startSourceServer, type SourceServer } from './helpers/source-server';

const TOTAL = 250;
let server: SourceServer;

before(async () => {
  server = await startSourceServer({ records: generateRecords(TOTAL) });
});
after(async () => {
  await server.close();
});

interface ReadAllResult {
  ids: string[];
  pages: number;
  requests: number;
  totals: Array<number | null>;
  cursors: Array<string | null>;
}

/** Reads every page the way the workflow does: until nextCursor is null. */
async function readAll(config: HttpJsonConfig, entity: SourceEntity, pageSize: number, secrets: HttpJsonSecrets = {}): Promise<ReadAllResult> {
  const result: ReadAllResult = { ids: [], pages: 0, requests: 0, totals: [], cursors: [] };
  let cursor: string | null = null;
  do {
    const page = await fetchSourcePage({ config, secrets, entity, cursor, pageSize });
    result.pages++;
    result.requests += page.requests;
    result.totals.push(page.totalCount);
    result.ids.push(...page.records.map((record) => recordId(record, entity.idField)));
    cursor = page.nextCursor;
    result.cursors.push(cursor);
    assert.ok(result.pages <= 100, 'pagination does not end');
  } while (cursor !== null);
  return result;
}

const allIds = (n = TOTAL) => Array.from({ length: n }, (_, i) => String(i + 1));

async function expectSourceError(promise: Promise<unknown>, expected: { code: string; retryable: boolean; retryAfterMs?: number; message?: RegExp }) {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof SourceError, `expected a SourceError, got ${String(err)}`);
    assert.equal(err.code, expected.code);
    assert.equal(err.retryable, expected.retryable);
    if ('retryAfterMs' in expected) assert.equal(err.retryAfterMs, expected.retryAfterMs);
    if (expected.message) assert.match(err.message, expected.message);
    return true;
  });
}

test('page pagination reads every record once and stops on the total without an extra request', async () => {
  const before = server.requestCount;
  const result = await readAll(
    { baseUrl: server.url, pagination: { type: 'page' }, totalPath: 'total' },
    { entity: '/records', resultsPosition: 'data.items', idField: 'id' },
    100,
  );
  assert.deepEqual(result.ids, allIds());
  assert.equal(result.pages, 3);
  assert.equal(result.requests, 3);
  assert.equal(server.requestCount - before, 3);
  assert.deepEqual(result.totals, [TOTAL, TOTAL, TOTAL]);
  assert.deepEqual(result.cursors, ['2', '3', null]);
  assert.deepEqual(server.requests.slice(-3), ['/records?page=1&pageSize=100', '/records?page=2&pageSize=100', '/records?page=3&pageSize=100']);
});

test('page pagination ends on a full last page when the total is reached', async () => {
  const result = await readAll(
    { baseUrl: server.url, totalPath: 'total' }, // pagination defaults to page
    { entity: 'records', resultsPosition: 'data.items', idField: 'id' },
    50,
  );
  assert.deepEqual(result.ids, allIds());
  assert.equal(result.requests, 5);
});

test('page pagination without a total reads until an empty page', async () => {
  const result = await readAll(
    { baseUrl: `${server.url}/`, pagination: { type: 'page' } },
    { entity: '/records-root', resultsPosition: '_root', idField: 'id' },
    100,
  );
  assert.deepEqual(result.ids, allIds());
  assert.deepEqual(result.totals, [null, null, null, null]);
  assert.equal(result.requests, 4);
});

test('page pagination does not trust the total when the source caps the page size', async () => {
  const capped = await startSourceServer({ records: generateRecords(TOTAL), maxPageSize: 40 });
  try {
    const result = await readAll(
      { baseUrl: capped.url, pagination: { type: 'page' }, totalPath: 'total' },
      { entity: '/records', resultsPosition: 'data.items', idField: 'id' },
      100,
    );
    assert.deepEqual(result.ids, allIds());
  } finally {
    await capped.close();
  }
});

test('offset pagination finds the results list by itself and stops on the total', async () => {
  const result = await readAll(
    { baseUrl: server.url, pagination: { type: 'offset' }, totalPath: 'meta.total' },
    { entity: '/records-offset', idField: 'id' },
    60,
  );
  assert.deepEqual(result.ids, allIds());
  assert.equal(result.requests, 5);
  assert.deepEqual(result.cursors, ['60', '120', '180', '240', null]);
  assert.equal(server.requests.at(-1), '/records-offset?offset=240&limit=60');
});

test('offset pagination copes with a source that caps the limit', async () => {
  const capped = await startSourceServer({ records: generateRecords(95), maxPageSize: 30 });
  try {
    const result = await readAll(
      { baseUrl: capped.url, pagination: { type: 'offset', offsetParam: 'offset', limitParam: 'limit' }, totalPath: 'meta.total' },
      { entity: '/records-offset', idField: 'id' },
      50,
    );
    assert.deepEqual(result.ids, allIds(95));
  } finally {
    await capped.close();
  }
});

test('cursor pagination sends the cursor from the previous body', async () => {
  const result = await readAll(
    { baseUrl: server.url, pagination: { type: 'cursor', cursorParam: 'after', cursorPath: 'cursor' } },
    { entity: '/records-next?pageSize=100', resultsPosition: 'items', idField: 'id' },
    100,
  );
  assert.deepEqual(result.ids, allIds());
  assert.deepEqual(result.cursors, ['100', '200', null]);
  assert.equal(server.requests.at(-1), '/records-next?pageSize=100&after=200');
});

test('nextLink pagination follows relative links from the body', async () => {
  const result = await readAll(
    { baseUrl: server.url, pagination: { type: 'nextLink', nextPath: 'next' } },
    { entity: '/records-next?pageSize=120', idField: 'id' },
    120,
  );
  assert.deepEqual(result.ids, allIds());
  assert.equal(result.requests, 3);
  assert.equal(result.cursors[0], `${server.url}/records-next?pageSize=120&after=120`);
  assert.equal(result.cursors.at(-1), null);
});

test('linkHeader pagination follows rel="next" and reads X-Total-Count', async () => {
  const result = await readAll(
    { baseUrl: server.url, pagination: { type: 'linkHeader' } },
    { entity: '/records-link?page=1&pageSize=100', idField: 'id' },
    100,
  );
  assert.deepEqual(result.ids, allIds());
  assert.deepEqual(result.totals, [TOTAL, TOTAL, TOTAL]);
  assert.equal(result.cursors[0], `${server.url}/records-link?page=2&pageSize=100`);
  assert.equal(result.requests, 3);
});

test('no pagination makes exactly one request', async () => {
  const before = server.requestCount;
  const page = await fetchSourcePage({
    config: { baseUrl: server.url, pagination: { type: 'none' } },
    secrets: {},
    entity: { entity: '/records-root?pageSize=1000', idField: 'id' },
    cursor: null,
    pageSize: 10,
  });
  assert.equal(page.records.length, TOTAL);
  assert.equal(page.nextCursor, null);
  assert.equal(page.requests, 1);
  assert.equal(server.requestCount - before, 1);
});

test('an answer read in parts gives every pagination what parsing it whole gives: cursor, total and each record', async () => {
  const kinds: [HttpJsonConfig, SourceEntity][] = [
    [{ baseUrl: server.url, pagination: { type: 'page' }, totalPath: 'total' }, { entity: '/records', resultsPosition: 'data.items', idField: 'id' }],
    [{ baseUrl: server.url, pagination: { type: 'offset' }, totalPath: 'meta.total' }, { entity: '/records-offset', idField: 'id' }],
    [{ baseUrl: server.url, pagination: { type: 'cursor', cursorParam: 'after', cursorPath: 'cursor' } }, { entity: '/records-next?pageSize=100', resultsPosition: 'items', idField: 'id' }],
    [{ baseUrl: server.url, pagination: { type: 'nextLink', nextPath: 'next' } }, { entity: '/records-next?pageSize=100', idField: 'id' }],
    [{ baseUrl: server.url, pagination: { type: 'linkHeader' } }, { entity: '/records-link?page=1&pageSize=100', idField: 'id' }],
    [{ baseUrl: server.url, pagination: { type: 'none' } }, { entity: '/records-root?pageSize=1000', idField: 'id' }],
  ];
  for (const [config, entity] of kinds) {
    let cursor: string | null = null;
    let ids = 0;
    do {
      const body = await fetchSourceBody({ config, secrets: {}, entity, cursor, pageSize: 100 });
      const whole = body.interpret();
      const parts = body.inParts();
      assert.ok(parts, `${config.pagination?.type}: found in parts`);
      assert.equal(parts.count, whole.records.length);
      assert.equal(parts.nextCursor, whole.nextCursor, config.pagination?.type);
      assert.equal(parts.totalCount, whole.totalCount, config.pagination?.type);
      for (let i = 0; i < parts.count; i++) {
        assert.deepEqual(parts.record(i), whole.records[i]);
        assert.equal(new TextDecoder().decode(parts.bytesOf(i)), JSON.stringify(whole.records[i]));
      }
      ids += parts.count;
      cursor = whole.nextCursor;
    } while (cursor !== null);
    assert.equal(ids, TOTAL, config.pagination?.type);
  }
});

test('an answer is not read in parts where a path of its pagination could lead into its records', async () => {
  const body = await fetchSourceBody({
    config: { baseUrl: server.url, pagination: { type: 'cursor', cursorParam: 'after', cursorPath: 'items.99.id' } },
    secrets: {},
    entity: { entity: '/records-next?pageSize=100', resultsPosition: 'items', idField: 'id' },
    cursor: null,
    pageSize: 100,
  });
  assert.equal(body.inParts(), undefined);
  assert.equal(body.interpret().nextCursor, '100', 'parsed whole, the cursor is read from the records');
});

test('an absolute entity URL is used as it is', async () => {
  const page = await fetchSourcePage({
    config: { baseUrl: 'http://unused.invalid/api', pagination: { type: 'none' } },
    secrets: {},
    entity: { entity: `${server.url}/records?pageSize=5`, resultsPosition: 'data.items', idField: 'id' },
    cursor: null,
    pageSize: 5,
  });
  assert.deepEqual(page.records.map((record) => record.id), [1, 2, 3, 4, 5]);
});

test('redirects are followed and counted as requests', async () => {
  const page = await fetchSourcePage({
    config: { baseUrl: server.url, pagination: { type: 'none' }, totalPath: 'total' },
    secrets: {},
    entity: { entity: '/redirect?to=/records%3FpageSize%3D7', resultsPosition: 'data.items', idField: 'id' },
    cursor: null,
    pageSize: 7,
  });
  assert.equal(page.records.length, 7);
  assert.equal(page.totalCount, TOTAL);
  assert.equal(page.requests, 2);
});

test('bearer auth sends the token; without it the source answers 401, which is not retryable', async () => {
  const secured = await startSourceServer({ records: generateRecords(30), requireToken: 's3cret' });
  try {
    const config: HttpJsonConfig = { baseUrl: secured.url, auth: { type: 'bearer' }, totalPath: 'total' };
    const entity: SourceEntity = { entity: '/records', resultsPosition: 'data.items', idField: 'id' };
    const result = await readAll(config, entity, 20, { token: 's3cret' });
    assert.deepEqual(result.ids, allIds(30));

    await expectSourceError(fetchSourcePage({ config, secrets: { token: 'wrong' }, entity, cursor: null, pageSize: 20 }), {
      code: 'SOURCE_HTTP_401',
      retryable: false,
      message: /\/records\?page=1&pageSize=20 answered 401.*missing or wrong bearer token/,
    });
    await expectSourceError(fetchSourcePage({ config, secrets: {}, entity, cursor: null, pageSize: 20 }), {
      code: 'SOURCE_CONFIG_INVALID',
      retryable: false,
      message: /secrets\.token/,
    });
  } finally {
    await secured.close();
  }
});

test('basic and apiKey auth put the credentials where configured', async () => {
  const seen: Array<{ url: string; headers: Headers }> = [];
  const fetchImpl: typeof fetch = async (input, init) => {
    seen.push({ url: String(input), headers: new Headers(init?.headers) });
    return Response.json({ items: [{ id: 1 }] });
  };
  const call = (config: HttpJsonConfig, secrets: HttpJsonSecrets) =>
    fetchSourcePage({ config: { ...config, pagination: { type: 'none' } }, secrets, entity: { entity: '/x', idField: 'id' }, cursor: null, pageSize: 1, fetchImpl });

  await call({ baseUrl: 'http://api.test', auth: { type: 'basic', username: 'ann' }, headers: { 'X-Tenant': 't1' } }, { password: 'pw' });
  await call({ baseUrl: 'http://api.test', auth: { type: 'apiKey' } }, { apiKey: 'k1' });
  await call({ baseUrl: 'http://api.test', auth: { type: 'apiKey', header: 'Api-Token' } }, { apiKey: 'k2' });
  await call({ baseUrl: 'http://api.test', auth: { type: 'apiKey', queryParam: 'key' } }, { apiKey: 'k3' });

  assert.equal(seen[0]!.headers.get('authorization'), `Basic ${Buffer.from('ann:pw').toString('base64')}`);
  assert.equal(seen[0]!.headers.get('x-tenant'), 't1');
  assert.equal(seen[0]!.headers.get('accept'), 'application/json');
  assert.equal(seen[1]!.headers.get('x-api-key'), 'k1');
  assert.equal(seen[2]!.headers.get('api-token'), 'k2');
  assert.equal(seen[3]!.url, 'http://api.test/x?key=k3');
  assert.equal(seen[3]!.headers.get('authorization'), null);
});

test('query-string API keys stay out of cursors and error messages', async () => {
  const config: HttpJsonConfig = { baseUrl: server.url, auth: { type: 'apiKey', queryParam: 'api_key' }, pagination: { type: 'nextLink', nextPath: 'next' } };
  const page = await fetchSourcePage({ config, secrets: { apiKey: 'topsecret' }, entity: { entity: '/records-next?pageSize=10', idField: 'id' }, cursor: null, pageSize: 10 });
  assert.equal(server.requests.at(-1), '/records-next?pageSize=10&api_key=topsecret');
  assert.equal(page.nextCursor, `${server.url}/records-next?pageSize=10&after=10`);

  const next = await fetchSourcePage({ config, secrets: { apiKey: 'topsecret' }, entity: { entity: '/records-next?pageSize=10', idField: 'id' }, cursor: page.nextCursor, pageSize: 10 });
  assert.equal(next.records[0]!.id, 11);
  assert.match(server.requests.at(-1)!, /api_key=topsecret/);

  await assert.rejects(
    fetchSourcePage({ config, secrets: { apiKey: 'topsecret' }, entity: { entity: '/nowhere', idField: 'id' }, cursor: null, pageSize: 10 }),
    (err: unknown) => err instanceof SourceError && err.code === 'SOURCE_HTTP_404' && !err.message.includes('topsecret') && err.message.includes('/nowhere'),
  );
});

test('a query-string API key echoed back in a next link is removed from the cursor and sent again', async () => {
  const urls: string[] = [];
  const fetchImpl: typeof fetch = async (input) => {
    urls.push(String(input));
    return Response.json({ items: [{ id: urls.length }], next: urls.length === 1 ? '/items?page=2&api_key=topsecret' : null });
  };
  const args = {
    config: { baseUrl: 'https://api.test', auth: { type: 'apiKey', queryParam: 'api_key' }, pagination: { type: 'nextLink', nextPath: 'next' } } as HttpJsonConfig,
    secrets: { apiKey: 'topsecret' },
    entity: { entity: '/items', idField: 'id' },
    pageSize: 10,
    fetchImpl,
  };
  const first = await fetchSourcePage({ ...args, cursor: null });
  assert.equal(first.nextCursor, 'https://api.test/items?page=2');
  const second = await fetchSourcePage({ ...args, cursor: first.nextCursor });
  assert.equal(second.nextCursor, null);
  assert.deepEqual(urls, ['https://api.test/items?api_key=topsecret', 'https://api.test/items?page=2&api_key=topsecret']);
});

test('503 is retryable, and the next attempt succeeds', async () => {
  const args = {
    config: { baseUrl: server.url, totalPath: 'total' },
    secrets: {},
    entity: { entity: '/records', resultsPosition: 'data.items', idField: 'id' },
    cursor: null,
    pageSize: 10,
  };
  const before = server.requestCount;
  server.failNext(503, 2);
  await expectSourceError(fetchSourcePage(args), { code: 'SOURCE_HTTP_503', retryable: true, message: /injected 503/ });
  await expectSourceError(fetchSourcePage(args), { code: 'SOURCE_HTTP_503', retryable: true });
  const page = await fetchSourcePage(args);
  assert.equal(page.records.length, 10);
  assert.equal(server.requestCount - before, 3, 'no retries inside fetchSourcePage');
});

test('429 is retryable after the Retry-After delay, in seconds or as an HTTP date', async () => {
  const args = {
    config: { baseUrl: server.url },
    secrets: {},
    entity: { entity: '/records', resultsPosition: 'data.items', idField: 'id' },
    cursor: null,
    pageSize: 10,
  };
  server.failNext(429, 1, { 'Retry-After': '7' });
  await expectSourceError(fetchSourcePage(args), { code: 'SOURCE_HTTP_429', retryable: true, retryAfterMs: 7000 });

  server.failNext(429, 1, { 'Retry-After': new Date(Date.now() + 60_000).toUTCString() });
  await assert.rejects(fetchSourcePage(args), (err: unknown) => {
    assert.ok(err instanceof SourceError && err.retryable);
    assert.ok(err.retryAfterMs !== undefined && err.retryAfterMs > 55_000 && err.retryAfterMs <= 60_000, `retryAfterMs ${err.retryAfterMs}`);
    return true;
  });

  server.failNext(429);
  await expectSourceError(fetchSourcePage(args), { code: 'SOURCE_HTTP_429', retryable: true, retryAfterMs: undefined });
});

test('other 4xx are not retryable; 408 and 5xx are', async () => {
  const args = { config: { baseUrl: server.url }, secrets: {}, entity: { entity: '/records', resultsPosition: 'data.items', idField: 'id' }, cursor: null, pageSize: 10 };
  for (const [status, retryable] of [[400, false], [403, false], [404, false], [408, true], [500, true], [502, true]] as const) {
    server.failNext(status);
    await expectSourceError(fetchSourcePage(args), { code: `SOURCE_HTTP_${status}`, retryable });
  }
});

test('an unreachable source is retryable', async () => {
  const gone = await startSourceServer();
  const url = gone.url;
  await gone.close();
  await expectSourceError(
    fetchSourcePage({ config: { baseUrl: url }, secrets: {}, entity: { entity: '/records', idField: 'id' }, cursor: null, pageSize: 10 }),
    { code: 'SOURCE_UNREACHABLE', retryable: true, message: /Cannot reach/ },
  );
});

test('aborting the signal cancels the request without turning it into a source error', async () => {
  server.delayMs = 2000;
  try {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(
      fetchSourcePage({ config: { baseUrl: server.url }, secrets: {}, entity: { entity: '/records', idField: 'id' }, cursor: null, pageSize: 10, signal: controller.signal }),
      (err: unknown) => !(err instanceof SourceError) && (err as Error).name === 'AbortError',
    );
    assert.ok(Date.now() - started < 1500, 'the request was not aborted');
  } finally {
    server.delayMs = 0;
  }
});

test('bad bodies are non-retryable SOURCE_BAD_RESPONSE errors', async () => {
  const call = (entity: SourceEntity) => fetchSourcePage({ config: { baseUrl: server.url, pagination: { type: 'none' } }, secrets: {}, entity, cursor: null, pageSize: 10 });
  await expectSourceError(call({ entity: '/not-json', idField: 'id' }), { code: 'SOURCE_BAD_RESPONSE', retryable: false, message: /did not answer JSON: <html>maintenance/ });
  // `data` is an object here, so guessing finds no list.
  await expectSourceError(call({ entity: '/records', idField: 'id' }), { code: 'SOURCE_BAD_RESPONSE', retryable: false, message: /Cannot find the list of records/ });
  await expectSourceError(call({ entity: '/records', resultsPosition: 'data.rows', idField: 'id' }), {
    code: 'SOURCE_BAD_RESPONSE',
    retryable: false,
    message: /Cannot find the list of records at "data\.rows"/,
  });

  const odd = await startSourceServer({ records: [{ id: 1 }, 'two' as unknown as JsonObject] });
  try {
    await expectSourceError(
      fetchSourcePage({ config: { baseUrl: odd.url }, secrets: {}, entity: { entity: '/records-root', idField: 'id' }, cursor: null, pageSize: 10 }),
      { code: 'SOURCE_BAD_RESPONSE', retryable: false, message: /Record 1 .* is not an object/ },
    );
  } finally {
    await odd.close();
  }
});

test('next links to another origin are refused rather than sent credentials', async () => {
  const fetchImpl: typeof fetch = async () => Response.json({ items: [{ id: 1 }], next: 'https://elsewhere.test/page2' });
  await expectSourceError(
    fetchSourcePage({
      config: { baseUrl: 'https://api.test', auth: { type: 'bearer' }, pagination: { type: 'nextLink', nextPath: 'next' } },
      secrets: { token: 't' },
      entity: { entity: '/items', idField: 'id' },
      cursor: null,
      pageSize: 10,
      fetchImpl,
    }),
    { code: 'SOURCE_BAD_RESPONSE', retryable: false, message: /leaves the source/ },
  );
});

test('a next link pointing at the current page ends pagination', async () => {
  const fetchImpl: typeof fetch = async () => Response.json({ items: [{ id: 1 }], next: '/items?page=1' });
  const page = await fetchSourcePage({
    config: { baseUrl: 'https://api.test', pagination: { type: 'nextLink', nextPath: 'next' } },
    secrets: {},
    entity: { entity: '/items?page=1', idField: 'id' },
    cursor: null,
    pageSize: 10,
    fetchImpl,
  });
  assert.equal(page.nextCursor, null);
});

test('recordId stringifies numbers, reads nested paths and names the missing field', () => {
  assert.equal(recordId({ id: 42 }, 'id'), '42');
  assert.equal(recordId({ meta: { uuid: 'a-b' } }, 'meta.uuid'), 'a-b');
  for (const record of [{ name: 'x' }, { id: null }, { id: '' }, { id: { nested: 1 } }] as JsonObject[]) {
    assert.throws(
      () => recordId(record, 'id'),
      (err: unknown) => err instanceof SourceError && err.code === 'SOURCE_RECORD_WITHOUT_ID' && !err.retryable && err.message.includes('"id"'),
    );
  }
});

test('readPath reads dot paths with array indexes and _root', () => {
  const body = { data: { items: [{ id: 1 }, { id: 2 }] }, count: 0 };
  assert.equal(readPath(body, '_root'), body);
  assert.deepEqual(readPath(body, 'data.items.1'), { id: 2 });
  assert.equal(readPath(body, 'data.items.1.id'), 2);
  assert.equal(readPath(body, 'count'), 0);
  assert.equal(readPath(body, 'data.missing.id'), undefined);
  assert.equal(readPath(body, 'constructor'), undefined);
});
