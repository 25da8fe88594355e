// Bulk loading by COPY: rows arrive as they were given, and a COPY the server refuses — at its
// start, in the middle of the stream or after the stream ended — rejects with the server's error
// and rolls its transaction back, leaving the connection fit for the next statement.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { copyBinaryRows, copyField, copyJsonField, copyRows, POSTGRES_EPOCH_MICROS, type BinaryType, type BinaryValue } from '../db/copy';
import { stableStringify } from '../activities/hashing';
import { createTestDatabase, type TestDatabase } from './helpers/database';

let database: TestDatabase;

before(async () => {
  database = await createTestDatabase();
  await database.sql`create table copied (id text primary key, note text, doc jsonb)`;
});

after(async () => {
  await database?.drop();
});

const rowsOf = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ id: String(from + i), note: `row\t${from + i}\n`, doc: JSON.stringify({ n: from + i }) }));
const line = (r: { id: string; note: string | null; doc: string }) => [copyField(r.id), copyField(r.note), copyField(r.doc)];

async function copyInTransaction(rows: { id: string; note: string | null; doc: string }[]): Promise<void> {
  await database.sql.begin(async (tx) => {
    await copyRows(tx, 'copied', ['id', 'note', 'doc'], rows, line);
  });
}

/** Whether any connection of this database is left inside a transaction. */
async function connectionsInTransaction(): Promise<number> {
  const [row] = await database.sql<{ n: number }[]>`
    select count(*)::int as n from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'`;
  return row!.n;
}

test('rows are copied as they were given: tabs, newlines and nulls survive', async () => {
  await copyInTransaction([...rowsOf(3), { id: 'null-note', note: null, doc: '{}' }]);
  const rows = await database.sql<{ id: string; note: string | null; n: number | null }[]>`
    select id, note, (doc->>'n')::int as n from copied order by id`;
  assert.deepEqual(
    rows.map((r) => ({ ...r })),
    [
      { id: '0', note: 'row\t0\n', n: 0 },
      { id: '1', note: 'row\t1\n', n: 1 },
      { id: '2', note: 'row\t2\n', n: 2 },
      { id: 'null-note', note: null, n: null },
    ],
  );
});

test('JSON text arrives byte for byte: strings with tabs, newlines, backslashes, quotes and control characters', async () => {
  await database.sql`create table copied_json (id text primary key, doc json)`;
  const values = [
    { text: 'tab\there\nnewline\r\nback\\slash \\N "quoted" \u0001 \u001f', path: 'C:\\temp\\new', nested: { list: ['\t', '\\', '\n'] } },
    { emoji: 'ünïcødé ✓ 𝄞', lone: '\ud800', empty: '' },
    { plain: 'no escapes at all', n: 1.5, ok: true, nothing: null },
  ];
  const texts = values.flatMap((v, i) => [
    { id: `plain-${i}`, doc: JSON.stringify(v) },
    { id: `stable-${i}`, doc: stableStringify(v) },
  ]);
  await copyRows(database.sql, 'copied_json', ['id', 'doc'], [...texts, { id: 'none', doc: null }], (r) => [copyField(r.id), copyJsonField(r.doc)]);
  const rows = await database.sql<{ id: string; doc: string | null }[]>`select id, doc::text as doc from copied_json`;
  assert.deepEqual(new Map(rows.map((r) => [r.id, r.doc])), new Map([...texts.map((t) => [t.id, t.doc] as const), ['none', null]]));
});

test('multi-byte text crossing chunk boundaries, and a row larger than a chunk, arrive byte for byte', async () => {
  // Several megabytes of two- to four-byte characters: rows end at every offset of the chunks the
  // stream is sent in; one note alone is larger than a chunk.
  const wide = 'Chloé Søren 東京 🚀 ';
  const rows = Array.from({ length: 4_000 }, (_, i) => ({ id: `wide-${i}`, note: wide.repeat(1 + (i % 97)) + String(i), doc: JSON.stringify({ n: i, s: wide }) }));
  rows.push({ id: 'wide-huge', note: `${wide.repeat(80_000)}\tend`, doc: '{}' });
  await copyInTransaction(rows);
  const copied = await database.sql<{ id: string; note: string; doc: { s?: string } }[]>`select id, note, doc from copied where id like 'wide-%'`;
  assert.equal(copied.length, rows.length);
  const byId = new Map(copied.map((r) => [r.id, r]));
  for (const row of rows) {
    const got = byId.get(row.id);
    assert.equal(got?.note, row.note, `note of ${row.id}`);
    assert.deepEqual(got?.doc, JSON.parse(row.doc));
  }
  await database.sql`delete from copied where id like 'wide-%'`;
});

for (const [when, rows] of [
  ['after the stream ended (a short COPY)', () => [...rowsOf(2, 100), { id: 'bad', note: null, doc: '{"x": "\\u0000"}' }]],
  ['in the middle of the stream (a long COPY)', () => [...rowsOf(50_000, 1_000), { id: 'bad', note: null, doc: '{"x": "\\u0000"}' }, ...rowsOf(50_000, 60_000)]],
] as const) {
  test(`a value the server refuses ${when} rejects with its error and rolls the transaction back`, async () => {
    await assert.rejects(copyInTransaction(rows()), /unsupported Unicode escape sequence/);
    const [count] = await database.sql<{ n: number }[]>`select count(*)::int as n from copied where id <> 'null-note' and id::text !~ '^[0-2]$'`;
    assert.equal(count!.n, 0, 'nothing of the refused COPY stays');
    assert.equal(await connectionsInTransaction(), 0);
  });
}

test('a key that exists already (a unique violation) rejects with its code, and the next COPY on the connection works', async () => {
  await assert.rejects(copyInTransaction(rowsOf(2, 0)), (err: { code?: string }) => err.code === '23505');
  assert.equal(await connectionsInTransaction(), 0);
  await copyInTransaction(rowsOf(2, 200));
  const [count] = await database.sql<{ n: number }[]>`select count(*)::int as n from copied where id in ('200', '201')`;
  assert.equal(count!.n, 2);
});

test('a statement trigger that refuses the COPY at its start rejects with the trigger’s error', async () => {
  await database.sql.unsafe(`
    create function refuse_copy() returns trigger language plpgsql as $$ begin raise exception 'copied is closed'; end $$;
    create trigger refuse_copy before insert on copied for each statement execute function refuse_copy();`);
  try {
    await assert.rejects(copyInTransaction(rowsOf(1, 300)), /copied is closed/);
    assert.equal(await connectionsInTransaction(), 0);
  } finally {
    await database.sql.unsafe('drop trigger refuse_copy on copied; drop function refuse_copy();');
  }
});

test('a row that cannot be encoded, first or deep in a long COPY, fails it with that error and leaves nothing behind', async () => {
  for (const failAt of [0, 80_000]) {
    const rows = rowsOf(100_000, 400_000);
    const encode = (r: { id: string; note: string | null; doc: string }) => {
      // Past the first chunks of a long COPY, the encoding runs from the stream's 'drain' event.
      if (r.id === String(400_000 + failAt)) throw new Error(`cannot encode row ${r.id}`);
      return line(r);
    };
    await assert.rejects(
      database.sql.begin(async (tx) => {
        await copyRows(tx, 'copied', ['id', 'note', 'doc'], rows, encode);
      }),
      new RegExp(`cannot encode row ${400_000 + failAt}`),
    );
    const [count] = await database.sql<{ n: number }[]>`select count(*)::int as n from copied where id like '4_____'`;
    assert.equal(count!.n, 0, 'nothing of the failed COPY stays');
    assert.equal(await connectionsInTransaction(), 0);
  }
  await copyInTransaction(rowsOf(2, 500_000));
  const [count] = await database.sql<{ n: number }[]>`select count(*)::int as n from copied where id in ('500000', '500001')`;
  assert.equal(count!.n, 2, 'the next COPY works');
});

// Binary COPY: each column in PostgreSQL's binary form of its type.
const BINARY_COLUMNS: [string, BinaryType][] = [['id', 'int8'], ['n', 'int4'], ['note', 'text'], ['doc', 'text'], ['run', 'uuid'], ['at', 'timestamptz']];
interface BinaryRow {
  id: string | number;
  n: number | string | null;
  note: string | Uint8Array | null;
  doc: string;
  run: string | null;
  at: number | null;
}
const binaryLine = (r: BinaryRow): BinaryValue[] => [r.id, r.n, r.note, r.doc, r.run, r.at];

async function createBinaryTable(name: string): Promise<void> {
  await database.sql.unsafe(`create table ${name} (id bigint primary key, n int, note text, doc json, run uuid, at timestamptz)`);
}

test('a binary COPY sends each type as PostgreSQL reads it: integers, text and bytes as they are, uuids, times, nulls', async () => {
  await createBinaryTable('binary_copied');
  const at = Date.UTC(2026, 11, 6, 23, 40, 12, 588) * 1000 + 123 - POSTGRES_EPOCH_MICROS;
  const odd = 'tab\there\nnewline\r\n back\\slash \\N "quoted" ünïcødé ✓ 𝄞';
  const rows: BinaryRow[] = [
    { id: 1, n: 42, note: odd, doc: JSON.stringify({ odd, list: ['\t', '\\'] }), run: '6f1c1b2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b', at },
    { id: '9007199254740993', n: '-7', note: Buffer.from(`bytes\t${odd}`), doc: '{"b": 1}', run: '6F1C1B2A3C4D4E5F8A9B0C1D2E3F4A5B', at: -1 },
    { id: -9_007_199_254_740_991, n: -(2 ** 31), note: null, doc: '[]', run: null, at: null },
    { id: '-9223372036854775808', n: 2 ** 31 - 1, note: '', doc: '"text"', run: '00000000-0000-0000-0000-000000000000', at: 0 },
    { id: '123456789012345', n: 0, note: 'a'.repeat(95) + 'é', doc: '{}', run: null, at: null },
  ];
  await copyBinaryRows(database.sql, 'binary_copied', BINARY_COLUMNS, rows, binaryLine);
  const copied = await database.sql<{ id: string; n: number | null; note: string | null; doc: string; run: string | null; at: string | null }[]>`
    select id::text, n, note, doc::text, run::text, to_char(at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') as at from binary_copied order by binary_copied.id`;
  assert.deepEqual(
    copied.map((r) => ({ ...r })),
    [
      { id: '-9223372036854775808', n: 2147483647, note: '', doc: '"text"', run: '00000000-0000-0000-0000-000000000000', at: '2000-01-01 00:00:00.000000' },
      { id: '-9007199254740991', n: -2147483648, note: null, doc: '[]', run: null, at: null },
      { id: '1', n: 42, note: odd, doc: rows[0]!.doc, run: '6f1c1b2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b', at: '2026-12-06 23:40:12.588123' },
      { id: '123456789012345', n: 0, note: 'a'.repeat(95) + 'é', doc: '{}', run: null, at: null },
      { id: '9007199254740993', n: -7, note: `bytes\t${odd}`, doc: '{"b": 1}', run: '6f1c1b2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b', at: '1999-12-31 23:59:59.999999' },
    ],
  );
});

test('a binary COPY of many rows crossing chunk boundaries, with multi-byte text, arrives whole', async () => {
  await createBinaryTable('binary_many');
  const wide = 'Chloé Søren 東京 🚀 ';
  const rows: BinaryRow[] = Array.from({ length: 30_000 }, (_, i) => ({
    id: i, n: i, note: wide.repeat(1 + (i % 13)), doc: JSON.stringify({ i, wide }), run: '6f1c1b2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b', at: i,
  }));
  await copyBinaryRows(database.sql, 'binary_many', BINARY_COLUMNS, rows, binaryLine);
  const [sum] = await database.sql<{ count: number; ids: string; notes: string; docs: string }[]>`
    select count(*)::int as count, sum(id)::text as ids, sum(octet_length(note))::text as notes, sum((doc->>'i')::int)::text as docs from binary_many`;
  const expected = rows.reduce((total, r) => total + Buffer.byteLength(r.note as string), 0);
  assert.deepEqual({ ...sum }, { count: 30_000, ids: String((29_999 * 30_000) / 2), notes: String(expected), docs: String((29_999 * 30_000) / 2) });
  const sampled = await database.sql<{ id: string; note: string }[]>`select id::text, note from binary_many where id % 997 = 0`;
  for (const { id, note } of sampled) assert.equal(note, rows[Number(id)]!.note, `note of ${id}`);
});

test('a binary COPY value of the wrong kind fails the COPY with what it was, and the server’s refusals reject as in text', async () => {
  await createBinaryTable('binary_refused');
  const good = (id: number): BinaryRow => ({ id, n: 1, note: 'x', doc: '{}', run: null, at: null });
  for (const [bad, message] of [
    [{ ...good(3), n: 'three' }, /Cannot send "three" as int4/],
    [{ ...good(3), n: 2 ** 31 }, /as int4/],
    [{ ...good(3), n: '' }, /Cannot send "" as int4/],
    [{ ...good(3), n: ' 7 ' }, /Cannot send " 7 " as int4/],
    [{ ...good(3), id: 1.5 }, /as int8/],
    [{ ...good(3), run: 'not-a-uuid' }, /Cannot send "not-a-uuid" as uuid/],
    [{ ...good(3), doc: '{"unclosed": ' }, /invalid input syntax for type json/],
  ] as const) {
    await assert.rejects(
      database.sql.begin(async (tx) => {
        await copyBinaryRows(tx, 'binary_refused', BINARY_COLUMNS, [good(1), good(2), bad as BinaryRow], binaryLine);
      }),
      message,
    );
    assert.equal(await connectionsInTransaction(), 0);
  }
  await assert.rejects(copyBinaryRows(database.sql, 'binary_refused', BINARY_COLUMNS, [good(1), good(1)], binaryLine), (err: { code?: string }) => err.code === '23505');
  const [count] = await database.sql<{ n: number }[]>`select count(*)::int as n from binary_refused`;
  assert.equal(count!.n, 0, 'nothing of a refused COPY stays');
  await copyBinaryRows(database.sql, 'binary_refused', BINARY_COLUMNS, [good(1), good(2)], binaryLine);
  const [after] = await database.sql<{ n: number }[]>`select count(*)::int as n from binary_refused`;
  assert.equal(after!.n, 2, 'the next COPY works');
});
