// Bulk loading by COPY: rows arrive as they were given, and a COPY the server refuses — at its
// start, in the middle of the stream or after the stream ended — rejects with the server's error
// and rolls its transaction back, leaving the connection fit for the next statement.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { copyField, copyJsonField, copyRows } from '../db/copy';
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
