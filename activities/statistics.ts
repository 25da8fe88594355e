// Planner statistics for the engine's working tables. A first sync fills them from empty, and
// until ANALYZE has run the planner believes each holds a row or so and joins them with nested
// loops that scan the whole table per row: quadratic, hours at a million rows. Autovacuum comes
// too late for a run that fills a table in a minute, so the page steps analyze as the tables grow.
import type { Sql } from '../db/client';

/** True on pages 0, 1, 3, 7, 15, …: the tables have doubled since the last analyze. */
export const tablesDoubled = (pageNo: number) => ((pageNo + 1) & pageNo) === 0;

/** ANALYZE samples a bounded number of rows, so this stays cheap at any table size. */
export async function analyzeAsTablesGrow(sql: Sql, pageNo: number): Promise<void> {
  if (!tablesDoubled(pageNo)) return;
  await sql`analyze sync_staging, connector_space_objects, contracts, register_objects, pending_exports`;
}
