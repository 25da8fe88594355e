// Planner statistics for the engine's working tables. A first sync fills them from empty, and
// until ANALYZE has run the planner believes each holds a row or so and joins them with nested
// loops that scan the whole table per row: quadratic, hours at a million rows. Autovacuum comes
// too late for a run that fills a table in a minute, so the page steps analyze as the tables
// grow — but only the tables that changed noticeably: a run that changes little leaves a
// million-row connector space unsampled.
import type { Sql } from '../db/client';
import { quoteIdent } from './connectors/postgres-destination';

export const WORKING_TABLES = ['sync_staging', 'connector_space_objects', 'contracts', 'register_objects', 'pending_exports'] as const;
export type WorkingTable = (typeof WORKING_TABLES)[number];

/**
 * The columns the engine's statements filter and join on: what the planner needs to know. The
 * jsonb columns are left out; sampling them means reading (and detoasting) every sampled object.
 */
const KEY_COLUMNS: Record<WorkingTable, string[]> = {
  sync_staging: ['run_id', 'task_id', 'page_no', 'external_id', 'action', 'space_action'],
  connector_space_objects: ['connected_system_id', 'entity', 'external_id', 'change_seq', 'deleted_at'],
  contracts: ['task_id', 'origin_id', 'register_object_id', 'target_id'],
  register_objects: ['id', 'workspace_id', 'object_type', 'external_key'],
  pending_exports: ['id', 'run_id', 'task_id', 'page_no', 'origin_id', 'status'],
};

/** True on pages 0, 1, 3, 7, 15, …: the run's rows have doubled since the last analyze. */
export const tablesDoubled = (pageNo: number) => ((pageNo + 1) & pageNo) === 0;

/**
 * On a task's first pages a table is analyzed once its row count is this far from what the
 * planner believes: a new task or entity writes whole pages, while a delta's hundred changed
 * objects per page leave a million-row table's statistics as they are (sampling one costs half a
 * second or more).
 */
export const FIRST_PAGES_MIN_ROWS = 1_000;

/** What the import writes (and stages): the connector space and the staging rows. */
export const IMPORT_TABLES: readonly WorkingTable[] = ['sync_staging', 'connector_space_objects'];
/** What a page's synchronisation writes: the register, the contracts and the export queue. */
export const SYNCHRONISE_TABLES: readonly WorkingTable[] = ['register_objects', 'contracts', 'pending_exports'];

/**
 * On pages 0, 1, 3, 7, …, analyzes those of `tables` whose size changed since their last analyze.
 * On a task's first two pages a thousand rows more or fewer are enough: a new run, task or entity
 * is a sliver of a big table, and until the statistics know it the planner believes it holds one row and runs key
 * lookups as scans of everything under the run, task or entity (a page step of minutes at a
 * million rows). Later a tenth of a table must change, so a 1% delta leaves the big tables'
 * statistics as they are.
 *
 * Each step analyzes only the tables it writes, after its transaction: a page imports while the
 * one before it synchronises, and an ANALYZE that meets another transaction's uncommitted rows
 * records their pages without their rows. The planner then believes a full table is empty and
 * joins it by scanning it once per row (a minute for one page of 10,000).
 */
export async function analyzeAsTablesGrow(sql: Sql, pageNo: number, tables: readonly WorkingTable[]): Promise<void> {
  if (!tablesDoubled(pageNo)) return;
  const statisticsTarget = GROWING_TABLES_STATISTICS_TARGET;
  if (pageNo <= 1) await analyzeChangedTables(sql, tables, 0, { minRows: FIRST_PAGES_MIN_ROWS, statisticsTarget });
  else await analyzeChangedTables(sql, tables, 0.1, { statisticsTarget });
}

/**
 * The statistics target of the analyzes a run makes as its tables grow: a sample of 9,000 rows
 * (300 per unit) instead of the server's default 30,000. What the planner needs from them is each
 * table's size and that its keys are distinct, which the smaller sample tells as well; sampling a
 * million-row connector space took 310–370 ms at the default and 83 ms at 30, and a first run of
 * a million objects analyzes its three big tables seven times. Where autovacuum runs, its
 * analyzes after the run sample at the server's default again.
 */
export const GROWING_TABLES_STATISTICS_TARGET = 30;

/**
 * Analyzes those of `tables` whose row count moved more than `share` (and at least `minRows` rows,
 * 500 unless given) away from what the planner believes (the live-row counter, a second or so
 * behind), or whose file grew by that share and 8 pages (current at once). Updates that leave
 * the count as it was are left to autovacuum. (The change counter is no guide: an ANALYZE of some
 * columns never resets it.) `statisticsTarget`, when given, sizes the sample instead of the
 * server's default.
 */
export async function analyzeChangedTables(
  sql: Sql,
  tables: readonly WorkingTable[],
  share: number,
  { minRows = 500, statisticsTarget }: { minRows?: number; statisticsTarget?: number } = {},
): Promise<void> {
  const minimum = { rows: minRows, pages: 8 };
  // to_regclass follows the search path, as the engine's statements do.
  const changed = await sql<{ relname: string }[]>`
    select c.relname from pg_class c left join pg_stat_user_tables s on s.relid = c.oid
    where c.oid in (select to_regclass(t) from unnest(${tables as unknown as string[]}::text[]) as t)
      and (abs(coalesce(s.n_live_tup, 0) - greatest(c.reltuples, 0)) > greatest(${minimum.rows}::float8, greatest(c.reltuples, 0) * ${share}::float8)
           or pg_relation_size(c.oid) / current_setting('block_size')::int > ${minimum.pages}::float8 + c.relpages * (1 + ${share}::float8))`;
  if (changed.length === 0) return;
  const list = changed.map(({ relname }) => `${quoteIdent(relname)} (${KEY_COLUMNS[relname as WorkingTable].map(quoteIdent).join(', ')})`);
  if (statisticsTarget === undefined) {
    await sql.unsafe(`analyze ${list.join(', ')}`);
    return;
  }
  await sql.begin(async (tx) => {
    await tx.unsafe(`set local default_statistics_target = ${Math.trunc(statisticsTarget)}`);
    await tx.unsafe(`analyze ${list.join(', ')}`);
  });
}
