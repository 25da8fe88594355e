// The analyzes a run makes as its working tables grow: they sample less than the server's default
// (GROWING_TABLES_STATISTICS_TARGET), which still tells the planner each table's size and that its
// keys are distinct; an analyze asked for without a target samples at the server's default.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { analyzeAsTablesGrow, analyzeChangedTables, GROWING_TABLES_STATISTICS_TARGET } from '../activities/statistics';
import { createTestDatabase, type TestDatabase } from './helpers/database';

let database: TestDatabase;

before(async () => {
  database = await createTestDatabase();
});

after(async () => {
  await database?.drop();
});

/** What the planner knows of the connector space: its row count, and its external ids' statistics. */
async function spaceStatistics() {
  const [row] = await database.sql<{ reltuples: number; n_distinct: number | null; bounds: number | null }[]>`
    select c.reltuples::float8 as reltuples, s.n_distinct::float8 as n_distinct, cardinality(s.histogram_bounds::text::text[]) as bounds
    from pg_class c left join pg_stats s on s.tablename = c.relname and s.attname = 'external_id' and s.schemaname = 'public'
    where c.oid = 'connector_space_objects'::regclass`;
  return row!;
}

async function addSpaceObjects(from: number, to: number): Promise<void> {
  // Without their connected system (foreign keys are not checked in this session).
  await database.sql.unsafe(`
    set session_replication_role = replica;
    insert into connector_space_objects (connected_system_id, entity, external_id, data, hash)
    select 1, 'e', g::text, '{}', 'h' from generate_series(${from}, ${to}) g;
    set session_replication_role = origin;`);
}

test('a growing table is analyzed from a smaller sample, and a full analyze from the default one', async () => {
  await addSpaceObjects(1, 20_000);
  // Page 0 of a task: a table a thousand rows away from what the planner believes is analyzed.
  await analyzeAsTablesGrow(database.sql, 0, ['connector_space_objects']);
  const growing = await spaceStatistics();
  assert.equal(growing.reltuples, 20_000);
  assert.equal(growing.n_distinct, -1, 'the keys are known to be distinct');
  assert.ok(growing.bounds !== null && growing.bounds <= GROWING_TABLES_STATISTICS_TARGET + 1, `a histogram of ${growing.bounds} bounds`);

  await addSpaceObjects(20_001, 40_000);
  await analyzeChangedTables(database.sql, ['connector_space_objects'], 0.1);
  const full = await spaceStatistics();
  assert.equal(full.reltuples, 40_000);
  assert.equal(full.n_distinct, -1);
  assert.equal(full.bounds, 101, 'the server default (100) gives 101 bounds');
});

test('a page that is not a doubling page analyzes nothing', async () => {
  const before = await spaceStatistics();
  await addSpaceObjects(40_001, 80_000);
  await analyzeAsTablesGrow(database.sql, 2, ['connector_space_objects']);
  assert.equal((await spaceStatistics()).reltuples, before.reltuples);
  await analyzeAsTablesGrow(database.sql, 3, ['connector_space_objects']);
  const after = await spaceStatistics();
  assert.equal(after.reltuples, 80_000);
  assert.ok(after.bounds !== null && after.bounds <= GROWING_TABLES_STATISTICS_TARGET + 1);
});
