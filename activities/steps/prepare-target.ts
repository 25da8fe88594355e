// Before a task's first page (job option truncateTableData or dropTable): empty or drop its
// destination table. The target then holds none of the task's objects, so the task's contracts
// first forget what they said it held: every object of the run is written again as a create.
// Contracts go first — if the table step never happens, the run merely rewrites every row.
// Both steps are idempotent; the workflow calls this once per task, before any page is written.
import type { Sql } from '../../db/client';
import { resetDestinationTable, type ConnectionPools, type PostgresConnectionConfig } from '../connectors/postgres-destination';
import type { TaskContext } from '../task-context';
import { destinationTableOf } from './export-page';

export interface PrepareTargetResult {
  /** What happened to the table ('none': the destination is not a table, or neither option is set). */
  table: 'truncated' | 'dropped' | 'none';
  /** Contracts whose target state was forgotten. */
  contractsReset: number;
}

export async function prepareTarget(sql: Sql, pools: ConnectionPools, ctx: TaskContext, args: { runId: string; taskId: number }): Promise<PrepareTargetResult> {
  const { truncateTableData, dropTable } = ctx.tableOptions;
  // Files are written per run (nothing to empty); only a PostgreSQL table can be reset.
  if ((!truncateTableData && !dropTable) || ctx.destination.connectorType !== 'postgres') return { table: 'none', contractsReset: 0 };

  const reset = await sql`
    update contracts set target_id = null, target_hash = null, last_run_id = ${args.runId}::uuid, updated_at = now()
    where task_id = ${args.taskId} and (target_id is not null or target_hash is not null)`;

  const config = ctx.destination.config as unknown as PostgresConnectionConfig;
  const db = pools.get(ctx.destination.version, config, ctx.destination.secrets.password as string | undefined);
  const { schema, table } = destinationTableOf(ctx);
  await resetDestinationTable(db, schema, table, dropTable ? 'drop' : 'truncate');
  return { table: dropTable ? 'dropped' : 'truncated', contractsReset: reset.count };
}
