// How the engine's tables store what they hold. Its key columns compare byte by byte (COLLATE "C",
// migration 0019), and every index on them still serves the look-ups that compare them with a
// parameter or with a working table's column of the database's own collation: a collation that
// did not match would leave a look-up to scan its whole table. A page's arrays are compressed
// with lz4 where the server has it (migration 0020).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from './helpers/database';

let database: TestDatabase;

before(async () => {
  database = await createTestDatabase();
});

after(async () => {
  await database?.drop();
});

const KEYS = [
  ['connector_space_objects', 'entity'],
  ['connector_space_objects', 'external_id'],
  ['register_objects', 'object_type'],
  ['register_objects', 'external_key'],
  ['contracts', 'origin_id'],
  ['sync_staging', 'external_id'],
  ['pending_exports', 'origin_id'],
] as const;

test('the key columns are collated "C"', async () => {
  const columns = await database.sql<{ table_name: string; column_name: string; collation_name: string | null }[]>`
    select table_name, column_name, collation_name from information_schema.columns
    where table_schema = 'public' and (table_name, column_name) in ${database.sql(KEYS.map(([t, c]) => database.sql([t, c])))}`;
  assert.equal(columns.length, KEYS.length);
  for (const c of columns) assert.equal(c.collation_name, 'C', `${c.table_name}.${c.column_name}`);
});

test('look-ups by key, from parameters and from a working table, use the key indexes', async () => {
  const plan = async (query: string, params: string[] = []) =>
    database.sql.begin(async (tx) => {
      // Scans are priced out: a plan without the index then means the index could not serve the comparison.
      await tx`set local enable_seqscan = off`;
      await tx`set local enable_bitmapscan = off`;
      await tx`set local enable_hashjoin = off`;
      await tx`set local enable_mergejoin = off`;
      const rows = await tx.unsafe<{ 'QUERY PLAN': string }[]>(`explain (costs off) ${query}`, params);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
  const run = '00000000-0000-0000-0000-000000000001';
  // Rows enough for the key index to be the look-up's best way (on empty tables any index ties);
  // without their tasks, workspaces and runs (foreign keys are not checked in this session).
  await database.sql.unsafe(`
    set session_replication_role = replica;
    insert into connector_space_objects (connected_system_id, entity, external_id, data, hash) select 1, 'e', g::text, '{}', 'h' from generate_series(1, 5000) g;
    insert into register_objects (workspace_id, object_type, external_key, data, hash) select 1, 't', g::text, '{}', 'h' from generate_series(1, 5000) g;
    insert into contracts (task_id, origin_id, origin_hash) select 1, g::text, 'h' from generate_series(1, 5000) g;
    insert into sync_staging (run_id, task_id, external_id, page_no) select '${run}', 1, g::text, 0 from generate_series(1, 5000) g;
    insert into pending_exports (run_id, task_id, page_no, origin_id, action) select '${run}', 1, 0, g::text, 'create' from generate_series(1, 5000) g;
    set session_replication_role = origin;
    analyze connector_space_objects, register_objects, contracts, sync_staging, pending_exports;`);
  const lookUps: [string, string, string[]][] = [
    ['connector_space_objects_key', `select hash from connector_space_objects where connected_system_id = 1 and entity = $1 and external_id = $2`, ['e', 'x']],
    ['register_objects_key', `select id from register_objects where workspace_id = 1 and object_type = $1 and external_key = $2`, ['t', 'x']],
    ['contracts_task_origin_key', `select id from contracts where task_id = 1 and origin_id = $1`, ['x']],
    ['sync_staging_run_id_task_id_external_id_pk', `select origin_hash from sync_staging where run_id = '${run}' and task_id = 1 and external_id = $1`, ['x']],
    ['pending_exports_run_task_origin_key', `select id from pending_exports where run_id = '${run}' and task_id = 1 and origin_id = $1`, ['x']],
    [
      'contracts_task_origin_key',
      `select k.id from unnest($1::text[]) as i(external_id) join lateral (select id from contracts k where k.task_id = 1 and k.origin_id = i.external_id limit 1) k on true`,
      ['{a,b}'],
    ],
  ];
  for (const [index, query, params] of lookUps) assert.match(await plan(query, params), new RegExp(`Index (Only )?Scan using ${index}`), query);
  await database.sql.unsafe(`create table working_rows as select g::text as external_id from generate_series(1, 20) g; analyze working_rows`);
  assert.match(
    await plan(`select r.id from working_rows t join register_objects r on r.workspace_id = 1 and r.object_type = 't' and r.external_key = t.external_id`),
    /Index Scan using register_objects_key/,
  );
});

test('a page’s arrays are compressed with lz4 where the server has it', async () => {
  const lz4 = await database.sql.begin(async (tx) => {
    await tx`savepoint probe`;
    try {
      await tx`set local default_toast_compression = lz4`;
      return true;
    } catch {
      await tx`rollback to savepoint probe`;
      return false;
    }
  });
  const columns = await database.sql<{ name: string; compression: string }[]>`
    select attrelid::regclass::text || '.' || attname as name, attcompression::text as compression from pg_attribute
    where (attrelid = 'sync_seen_pages'::regclass and attname = 'external_ids') or (attrelid = 'run_log_batches'::regclass and attname in ('ids', 'origin_ids'))
    order by 1`;
  assert.deepEqual(
    columns.map((c) => [c.name, c.compression]),
    ['run_log_batches.ids', 'run_log_batches.origin_ids', 'sync_seen_pages.external_ids'].map((name) => [name, lz4 ? 'l' : '']),
  );
});
