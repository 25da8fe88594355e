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

/** True on pages 0, 1, 3, 7, 15, …: the run's rows have doubled since the last analyze. */
export const tablesDoubled = (pageNo: number) => ((pageNo + 1) & pageNo) === 0;

/**
 * On pages 0, 1, 3, 7, …, analyzes the working tables that changed by a tenth since their last
 * analyze: rows changed by the activity counters (a second or so behind), or a file larger than
 * it was then (current at once). A 1% delta leaves the big tables' statistics as they are.
 */
export async function analyzeAsTablesGrow(sql: Sql, pageNo: number, tables: readonly WorkingTable[] = WORKING_TABLES): Promise<void> {
  if (!tablesDoubled(pageNo)) return;
  // On a task's first two pages every table changed at all is analyzed: a new run, task or entity
  // is a sliver of a big table, and until the statistics know it the planner believes it holds
  // one row and runs key lookups as scans of everything under the run, task or entity (a page
  // step of minutes at a million rows). Later, a tenth of change is worth a new sample.
  await analyzeChangedTables(sql, tables, pageNo <= 1 ? tables : []);
}

/** Analyzes those of `tables` changed by a tenth since their last analyze, and those of `anyChange` changed at all. */
export async function analyzeChangedTables(sql: Sql, tables: readonly WorkingTable[], anyChange: readonly WorkingTable[] = []): Promise<void> {
  // to_regclass follows the search path, as the engine's statements do.
  const changed = await sql<{ relname: string }[]>`
    select c.relname from pg_class c left join pg_stat_user_tables s on s.relid = c.oid
    where c.oid in (select to_regclass(t) from unnest(${tables as unknown as string[]}::text[]) as t)
      and (coalesce(s.n_mod_since_analyze, 0) > greatest(500, c.reltuples / 10)
           or pg_relation_size(c.oid) / current_setting('block_size')::int > 8 + c.relpages * 1.1
           or (c.oid in (select to_regclass(t) from unnest(${anyChange as unknown as string[]}::text[]) as t)
               and (coalesce(s.n_mod_since_analyze, 0) > 0 or pg_relation_size(c.oid) / current_setting('block_size')::int > c.relpages)))`;
  if (changed.length > 0) await sql.unsafe(`analyze ${changed.map((t) => quoteIdent(t.relname)).join(', ')}`);
}
