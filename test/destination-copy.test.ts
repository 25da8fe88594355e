// New rows copied into a PostgreSQL destination table arrive exactly as the merge writes them; rows
// whose values the COPY could not write the same way are left to the merge, and a key the table
// holds already fails the COPY without writing anything.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  copyable,
  copyIntoDestination,
  ensureDestinationTable,
  mergeIntoDestination,
  type DestinationTable,
} from '../activities/connectors/postgres-destination';
import type { JsonObject } from '../activities/connectors/types';
import { createTestDatabase, type TestDatabase } from './helpers/database';

let database: TestDatabase;

before(async () => {
  database = await createTestDatabase();
});

after(async () => {
  await database?.drop();
});

const rows: { id: string; data: JsonObject }[] = [
  {
    id: '1',
    data: { name: 'tab\there, newline\nthere, backslash \\ and "quotes"', score: 12.5, active: true, tags: ['a', 'b'], address: { city: 'Gent', zip: '9000' }, note: null },
  },
  { id: '2', data: { name: 'ünïcødé ✓ 𝄞', score: -0.001, active: false, tags: [], address: { city: null }, note: 'plain' } },
  { id: 'three', data: { name: '', score: 0, active: true, tags: [1, { x: [true, null] }], address: {}, note: 'a "quoted" \\N' } },
  // A field some rows lack, and a string where the jsonb column holds objects elsewhere.
  { id: '4', data: { score: 123456789012345, address: 'just a string' } },
];

async function tables(suffix: string): Promise<[DestinationTable, DestinationTable]> {
  const data = rows.map((r) => r.data);
  return Promise.all([
    ensureDestinationTable(database.sql, 'copies', `copied_${suffix}`, data, { alterSchema: true, softDelete: suffix === 'soft' }),
    ensureDestinationTable(database.sql, 'copies', `merged_${suffix}`, data, { alterSchema: true, softDelete: suffix === 'soft' }),
  ]);
}

async function contentsOf(dest: DestinationTable): Promise<unknown[]> {
  const result = await database.sql.unsafe(`select to_jsonb(t) - '_syncline_synced_at' as row from "${dest.schema}"."${dest.table}" t order by _syncline_id`);
  return result.map((r) => r.row);
}

for (const suffix of ['plain', 'soft']) {
  test(`copied rows are the rows the merge writes (${suffix === 'soft' ? 'a SoftDelete table' : 'a plain table'})`, async () => {
    await database.sql`create schema if not exists copies`;
    const [copied, merged] = await tables(suffix);
    assert.equal(await copyIntoDestination(database.sql, copied, rows), true);
    await mergeIntoDestination(database.sql, merged, rows);
    const written = await contentsOf(copied);
    assert.equal(written.length, rows.length);
    assert.deepEqual(written, await contentsOf(merged));
    const [synced] = await database.sql.unsafe(`select count(*)::int as n from copies.copied_${suffix} where _syncline_synced_at is not null`);
    assert.equal(synced!.n, rows.length, 'the synced-at column takes its default');
  });
}

test('values the COPY would write otherwise than the merge are left to it: nothing is copied', async () => {
  await database.sql`create schema if not exists copies`;
  const data = [{ label: 'text', amount: 1 }];
  const dest = await ensureDestinationTable(database.sql, 'copies', 'left_to_merge', data);
  // An object in a text column (the merge writes jsonb's text of it), a number printed with an exponent.
  assert.equal(await copyIntoDestination(database.sql, dest, [{ id: 'a', data: { label: { nested: true }, amount: 1 } }]), false);
  assert.equal(await copyIntoDestination(database.sql, dest, [{ id: 'b', data: { label: 'fine', amount: 1e-7 } }]), false);
  const [count] = await database.sql`select count(*)::int as n from copies.left_to_merge`;
  assert.equal(count!.n, 0);
});

test('a number is copyable exactly when JavaScript writes it without an exponent', () => {
  const numbers = [0, -0, 1, -1, 12.5, 1e-6, -1e-6, 9.99e-7, 1e-7, 5e-324, 1e20, 999999999999999900000, 1e21, -1e21, 1.5e300, 0.1 + 0.2, NaN, Infinity, -Infinity];
  for (let i = 0; i < 2000; i++) numbers.push((Math.random() - 0.5) * 10 ** Math.floor(Math.random() * 60 - 30));
  for (const n of numbers) assert.equal(copyable(n, false), !String(n).includes('e'), String(n));
  assert.equal(copyable(1e-7, true), true, 'a jsonb column takes any value');
  assert.equal(copyable({ nested: true }, false), false);
});

test('a key the table holds already fails the COPY as a unique violation, and nothing of it is written', async () => {
  await database.sql`create schema if not exists copies`;
  const dest = await ensureDestinationTable(database.sql, 'copies', 'held_keys', rows.map((r) => r.data));
  await copyIntoDestination(database.sql, dest, rows.slice(0, 1));
  await assert.rejects(copyIntoDestination(database.sql, dest, [rows[1]!, rows[0]!]), (err: { code?: string }) => err.code === '23505');
  const ids = await database.sql`select _syncline_id from copies.held_keys order by _syncline_id`;
  assert.deepEqual(ids.map((r) => r._syncline_id), ['1']);
});
