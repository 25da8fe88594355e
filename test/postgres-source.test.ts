import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import postgres from 'postgres';
import { SyncError } from '../activities/errors';
import { SourceError } from '../activities/connectors/http-json-source';
import { readPostgresPage, testPostgresConnection, type ReadPostgresPageArgs } from '../activities/connectors/postgres-source';
import type { JsonObject } from '../activities/connectors/types';
import { createTestDatabase, type TestDatabase } from './helpers/database';

let database: TestDatabase;

before(async () => {
  database = await createTestDatabase();
  const { sql } = database;
  await sql.unsafe(`
    create schema source;
    create table source.items (
      id integer primary key, name text, price numeric(10, 2), big bigint, ratio double precision,
      active boolean, created timestamptz, day date, meta jsonb, tags text[], updated_at timestamptz
    );
    insert into source.items
      select i, 'item ' || i, i * 1.25, 9007199254740993 + i, i / 4.0, i % 2 = 0,
             timestamptz '2024-01-01 00:00:00+00' + i * interval '1 hour', date '2024-01-01' + i,
             jsonb_build_object('n', i, 'even', i % 2 = 0, 'list', jsonb_build_array(i, 'x')), array['t' || i, 'all'],
             timestamptz '2024-06-01 00:00:00+00' + i * interval '1 minute'
      from generate_series(1, 250) as i;
    -- a few rows without an incremental value, and one whose id is NULL-free by the key
    update source.items set updated_at = null where id in (3, 4);
    create table source."Codes" (code text primary key, label text);
    insert into source."Codes" values ('b', 'B'), ('a', 'A'), ('c10', 'C10'), ('c9', 'C9'), ('Z', 'zed'), ('é', 'e acute'), ('a b', 'space');
    create table source.bigkeys (id bigint primary key, v text);
    insert into source.bigkeys select 9007199254740990 + i, 'v' || i from generate_series(1, 9) as i;
    create table public.plain (id int primary key);
    insert into public.plain select generate_series(1, 3);
  `);
});
after(async () => {
  await database.drop();
});

type PageArgs = Omit<ReadPostgresPageArgs, 'sql' | 'cursor'>;

async function readAll(args: PageArgs) {
  const records: JsonObject[] = [];
  const totals: (number | null)[] = [];
  const watermarks: (string | null)[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await readPostgresPage({ sql: database.sql, cursor, ...args });
    assert.equal(page.requests, 1);
    assert.ok(page.records.length <= args.pageSize);
    records.push(...page.records);
    totals.push(page.totalCount);
    watermarks.push(page.watermark);
    cursor = page.nextCursor;
    if (cursor !== null) assert.ok(cursor.length < 200, 'cursors stay small');
    pages++;
    assert.ok(pages < 1000, 'pagination does not end');
  } while (cursor !== null);
  return { records, totals, watermarks, pages };
}

async function expectError(promise: Promise<unknown>, code: string, message?: RegExp) {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof SyncError, `expected a SyncError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.retryable, false);
    if (message) assert.match(err.message, message);
    return true;
  });
}

test('integer keys: every row once in key order, JSON-typed values, count on the first page only', async () => {
  const result = await readAll({ table: 'source.items', idField: 'id', pageSize: 7 });
  assert.deepEqual(
    result.records.map((r) => r.id),
    Array.from({ length: 250 }, (_, i) => i + 1),
  );
  assert.equal(result.pages, 36); // 35 full pages, then a short one
  assert.deepEqual(result.totals, [250, ...Array<null>(35).fill(null)]);
  assert.deepEqual(result.watermarks, Array<null>(36).fill(null));
  assert.deepEqual(result.records[9], {
    id: 10,
    name: 'item 10',
    price: 12.5,
    // Integers beyond 2^53 become the nearest double, as JSON numbers do (keys keep full precision).
    big: Number(9007199254740993n + 10n),
    ratio: 2.5,
    active: true,
    created: '2024-01-01T10:00:00+00:00',
    day: '2024-01-11',
    meta: { n: 10, even: true, list: [10, 'x'] },
    tags: ['t10', 'all'],
    updated_at: '2024-06-01T00:10:00+00:00',
  });
  // Columns in table order.
  assert.deepEqual(Object.keys(result.records[0]!), ['id', 'name', 'price', 'big', 'ratio', 'active', 'created', 'day', 'meta', 'tags', 'updated_at']);
});

test('each record comes with its text as row_to_json wrote it: exact numbers, and the record it parses to', async () => {
  const page = await readPostgresPage({ sql: database.sql, cursor: null, table: 'source.items', idField: 'id', pageSize: 50 });
  assert.equal(page.texts.length, page.records.length);
  const decoded = page.texts.map((t) => new TextDecoder().decode(t));
  assert.deepEqual(decoded.map((t) => JSON.parse(t) as JsonObject), page.records);
  // The table's numbers as PostgreSQL writes them: 12.50 and a bigint beyond 2^53, which parsing rounds.
  assert.match(decoded[9]!, /"price":12\.50,"big":9007199254741003,/);
  const [row] = await database.sql<{ text: string }[]>`select row_to_json(t)::text as text from source.items t where id = 10`;
  assert.equal(decoded[9], row!.text);
});

test('values read the same whatever the session time zone and date style of the pool', async () => {
  const other = postgres(database.url, {
    max: 1,
    onnotice: () => {},
    connection: { TimeZone: 'America/New_York', DateStyle: 'SQL, DMY', IntervalStyle: 'sql_standard' },
  });
  try {
    const args = { table: 'source.items', idField: 'id', incrementalField: 'updated_at', since: '2024-06-01 00:00:00+00', cursor: null, pageSize: 5 };
    const here = await readPostgresPage({ sql: database.sql, ...args });
    const there = await readPostgresPage({ sql: other, ...args });
    assert.deepEqual(there, here);
    assert.equal(here.records[0]!.created, '2024-01-01T01:00:00+00:00');
    // Rows 3 and 4 have no incremental value, so a delta read skips them.
    assert.deepEqual(
      here.records.map((r) => r.id),
      [1, 2, 5, 6, 7],
    );
    const next = await readPostgresPage({ sql: other, ...args, cursor: here.nextCursor });
    assert.deepEqual(
      next.records.map((r) => r.id),
      [8, 9, 10, 11, 12],
    );
  } finally {
    await other.end({ timeout: 1 });
  }
});

test('the defaultSchema applies to a bare table name; public without one', async () => {
  const inSchema = await readAll({ table: 'items', defaultSchema: 'source', idField: 'id', pageSize: 100 });
  assert.equal(inSchema.records.length, 250);
  const plain = await readAll({ table: 'plain', idField: 'id', pageSize: 2 });
  assert.deepEqual(plain.records, [{ id: 1 }, { id: 2 }, { id: 3 }]);
  assert.equal(plain.pages, 2);
});

test('text keys (mixed-case table name) page in the column order and resume from a cursor', async () => {
  const expected = (await database.sql<{ code: string }[]>`select code from source."Codes" order by code`).map((r) => r.code);
  for (const pageSize of [1, 2, 3, 100]) {
    const result = await readAll({ table: 'source.Codes', idField: 'code', pageSize });
    assert.deepEqual(
      result.records.map((r) => r.code),
      expected,
      `pageSize ${pageSize}`,
    );
  }
  const first = await readPostgresPage({ sql: database.sql, table: 'source.Codes', idField: 'code', cursor: null, pageSize: 3 });
  assert.equal(first.nextCursor, JSON.stringify(expected[2]));
  const again = await readPostgresPage({ sql: database.sql, table: 'source.Codes', idField: 'code', cursor: first.nextCursor, pageSize: 3 });
  assert.deepEqual(
    again.records.map((r) => r.code),
    expected.slice(3, 6),
  );
  assert.equal(again.totalCount, null);
});

test('bigint keys beyond 2^53 keep their precision in the cursor', async () => {
  const result = await readAll({ table: 'source.bigkeys', idField: 'id', pageSize: 2 });
  assert.deepEqual(
    result.records.map((r) => r.v),
    ['v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8', 'v9'],
  );
  const first = await readPostgresPage({ sql: database.sql, table: 'source.bigkeys', idField: 'id', cursor: null, pageSize: 2 });
  assert.equal(first.nextCursor, '"9007199254740992"');
  // A numeric JSON cursor is accepted too.
  const fromNumber = await readPostgresPage({ sql: database.sql, table: 'source.bigkeys', idField: 'id', cursor: '9007199254740992', pageSize: 2 });
  assert.deepEqual(
    fromNumber.records.map((r) => r.v),
    ['v3', 'v4'],
  );
});

test('incremental: since filters, the watermark is the run bound, and rows changed mid-run wait for the next run', async () => {
  const { sql } = database;
  // A full first run: rows without an incremental value are included; the watermark is the max.
  const full = await readAll({ table: 'source.items', idField: 'id', incrementalField: 'updated_at', since: null, pageSize: 50 });
  assert.equal(full.records.length, 250);
  const maxText = (await sql<{ m: string }[]>`select max(updated_at)::text as m from source.items`)[0]!.m;
  assert.deepEqual(full.watermarks, Array<string>(5).fill(maxText));

  // Rows 10 and 200 change; a delta run from the watermark reads only them.
  await sql`update source.items set updated_at = now(), name = 'changed' where id in (10, 200)`;
  const delta = await readAll({ table: 'source.items', idField: 'id', incrementalField: 'updated_at', since: maxText, pageSize: 1 });
  assert.deepEqual(
    delta.records.map((r) => [r.id, r.name]),
    [
      [10, 'changed'],
      [200, 'changed'],
    ],
  );
  assert.deepEqual(delta.totals, [2, null]);
  const deltaMark = delta.watermarks[0]!;
  assert.ok(deltaMark > maxText);
  assert.deepEqual(delta.watermarks, [deltaMark, deltaMark]);

  // Nothing new: an empty page, the watermark stays where it was.
  const none = await readPostgresPage({ sql, table: 'source.items', idField: 'id', incrementalField: 'updated_at', since: deltaMark, cursor: null, pageSize: 10 });
  assert.deepEqual(none, { records: [], nextCursor: null, totalCount: 0, requests: 1, watermark: deltaMark, texts: [] });

  // A run over rows 20, 30, 40; after its first page, row 5 (before the cursor) and row 240 (after
  // it) change again. Neither belongs to this run: both are past its bound, so the next run has them.
  await sql`update source.items set updated_at = now() + interval '1 second' where id in (20, 30, 40)`;
  const page1 = await readPostgresPage({ sql, table: 'source.items', idField: 'id', incrementalField: 'updated_at', since: deltaMark, cursor: null, pageSize: 2 });
  assert.deepEqual(
    page1.records.map((r) => r.id),
    [20, 30],
  );
  const runMark = page1.watermark!;
  await sql`update source.items set updated_at = now() + interval '1 hour' where id in (5, 240)`;
  const page2 = await readPostgresPage({ sql, table: 'source.items', idField: 'id', incrementalField: 'updated_at', since: deltaMark, cursor: page1.nextCursor, pageSize: 2 });
  assert.deepEqual(
    page2.records.map((r) => r.id),
    [40],
    'rows changed after the run started are left to the next run',
  );
  assert.equal(page2.nextCursor, null);
  assert.equal(page2.watermark, runMark);
  const next = await readAll({ table: 'source.items', idField: 'id', incrementalField: 'updated_at', since: runMark, pageSize: 10 });
  assert.deepEqual(
    next.records.map((r) => r.id),
    [5, 240],
  );
});

test('an integer incremental column works the same', async () => {
  const result = await readAll({ table: 'source.items', idField: 'id', incrementalField: 'big', since: String(9007199254740993n + 240n), pageSize: 4 });
  assert.deepEqual(
    result.records.map((r) => r.id),
    [241, 242, 243, 244, 245, 246, 247, 248, 249, 250],
  );
  assert.equal(result.watermarks[0], String(9007199254740993n + 250n));
});

test('unknown tables and columns, bad names and bad cursors fail without retry', async () => {
  const sql = database.sql;
  await expectError(readPostgresPage({ sql, table: 'nope', idField: 'id', cursor: null, pageSize: 10 }), 'SOURCE_TABLE_NOT_FOUND', /"public"\."nope"/);
  await expectError(readPostgresPage({ sql, table: 'nosuchschema.items', idField: 'id', cursor: null, pageSize: 10 }), 'SOURCE_TABLE_NOT_FOUND');
  await expectError(readPostgresPage({ sql, table: 'source.codes', idField: 'code', cursor: null, pageSize: 10 }), 'SOURCE_TABLE_NOT_FOUND');
  await expectError(readPostgresPage({ sql, table: 'source.items', idField: 'nope', cursor: null, pageSize: 10 }), 'SOURCE_COLUMN_NOT_FOUND', /nope/);
  await expectError(readPostgresPage({ sql, table: 'source.items', idField: 'nope', cursor: '"1"', pageSize: 10 }), 'SOURCE_COLUMN_NOT_FOUND');
  await expectError(
    readPostgresPage({ sql, table: 'source.items', idField: 'id', incrementalField: 'changed_at', cursor: null, pageSize: 10 }),
    'SOURCE_COLUMN_NOT_FOUND',
    /changed_at/,
  );
  for (const table of ['a.b.c', 'bad"name', '', 'x'.repeat(64)]) {
    await expectError(readPostgresPage({ sql, table, idField: 'id', cursor: null, pageSize: 10 }), 'SOURCE_CONFIG_INVALID');
  }
  await expectError(readPostgresPage({ sql, table: 'source.items', idField: 'id"; drop table x; --', cursor: null, pageSize: 10 }), 'SOURCE_CONFIG_INVALID');
  await expectError(readPostgresPage({ sql, table: 'source.items', idField: 'id', cursor: 'not json', pageSize: 10 }), 'SOURCE_BAD_CURSOR');
  await expectError(readPostgresPage({ sql, table: 'source.items', idField: 'id', cursor: '"abc"', pageSize: 10 }), 'SOURCE_BAD_CURSOR');
  await expectError(
    readPostgresPage({ sql, table: 'source.items', idField: 'id', incrementalField: 'updated_at', since: 'yesterday-ish', cursor: null, pageSize: 10 }),
    'SOURCE_BAD_CURSOR',
  );
});

test('connection test: ok with the server version; a wrong port or a missing schema is not ok', async () => {
  const ok = await testPostgresConnection(database.sql);
  assert.equal(ok.ok, true, ok.message);
  assert.match(ok.message, /PostgreSQL \d+/);
  const withSchema = await testPostgresConnection(database.sql, 'source');
  assert.equal(withSchema.ok, true);
  assert.match(withSchema.message, /schema "source" has 3 tables/);
  const noSchema = await testPostgresConnection(database.sql, 'missing');
  assert.equal(noSchema.ok, false);
  assert.match(noSchema.message, /schema "missing" does not exist/);

  const wrong = postgres({ host: '127.0.0.1', port: 1, database: 'postgres', username: 'postgres', max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    const failed = await testPostgresConnection(wrong);
    assert.equal(failed.ok, false);
    assert.match(failed.message, /ECONNREFUSED/);
    // Reading a page through an unreachable pool is a retryable failure.
    await assert.rejects(readPostgresPage({ sql: wrong, table: 'plain', idField: 'id', cursor: null, pageSize: 1 }), (err: unknown) => {
      assert.ok(err instanceof SourceError);
      assert.equal(err.code, 'SOURCE_UNREACHABLE');
      assert.equal(err.retryable, true);
      return true;
    });
  } finally {
    await wrong.end({ timeout: 1 });
  }
});
