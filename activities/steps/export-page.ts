// Step 5: apply the page's pending exports to the destination, then record on each contract what
// the target now holds. Pending → Executing → Exported (or Failed, when the attempt gives up).
import { ApplicationFailure, Context } from '@temporalio/activity';
import { STEP_MAX_ATTEMPTS } from '../../workflows/contracts';
import type { Sql } from '../../db/client';
import { ensureDestinationTable, mergeIntoDestination, type DestinationPools, type PostgresConnectionConfig } from '../connectors/postgres-destination';
import type { JsonObject } from '../connectors/types';
import { SyncError, toActivityFailure } from '../errors';
import type { TaskContext } from '../task-context';
import type { PageRef } from './import-page';

export async function exportPage(sql: Sql, pools: DestinationPools, ctx: TaskContext, page: PageRef): Promise<{ exported: number; written: number }> {
  if (ctx.destination.connectorType !== 'postgres') {
    throw new SyncError('DESTINATION_UNSUPPORTED', `Connector type ${ctx.destination.connectorType} cannot be a job destination yet`, false);
  }
  const pending = await sql<{ id: number; origin_id: string; data: JsonObject; hash: string }[]>`
    update pending_exports p set status = 'Executing', attempts = p.attempts + 1, updated_at = now()
    from register_objects r
    where r.id = p.register_object_id
      and p.run_id = ${page.runId}::uuid and p.task_id = ${page.taskId} and p.page_no = ${page.pageNo}
      and p.status <> 'Exported'
    returning p.id, p.origin_id, r.data, r.hash`;
  if (pending.length === 0) return { exported: 0, written: 0 };

  const config = ctx.destination.config as unknown as PostgresConnectionConfig;
  const destination = pools.get(ctx.destination.version, config, ctx.destination.secrets.password as string | undefined);
  const schema = ctx.destinationSchema ?? config.schema ?? 'public';
  const table = `${ctx.tableNamePrefix}${ctx.targetEntity}`;
  let written: number;
  try {
    const target = await ensureDestinationTable(destination, schema, table, pending.map((p) => p.data));
    Context.current().heartbeat();
    // Merging is idempotent: a retry after a crash rewrites nothing it already wrote.
    written = await mergeIntoDestination(destination, target, pending.map((p) => ({ id: p.origin_id, data: p.data })));
  } catch (err) {
    // Back to Pending while Temporal will retry; Failed once no attempt is left or none can help.
    const failure = toActivityFailure(err, 'DESTINATION');
    const final = (failure instanceof ApplicationFailure && failure.nonRetryable) || Context.current().info.attempt >= STEP_MAX_ATTEMPTS;
    await sql`update pending_exports set status = ${final ? 'Failed' : 'Pending'},
                error = ${err instanceof Error ? err.message : String(err)}, updated_at = now()
              where id in ${sql(pending.map((p) => p.id))}`;
    throw failure;
  }

  const done = JSON.stringify(pending.map((p) => ({ id: p.id, origin_id: p.origin_id, hash: p.hash })));
  await sql.begin(async (tx) => {
    await tx`
      update pending_exports p set status = 'Exported', error = null, updated_at = now()
      from jsonb_to_recordset(${done}::jsonb) as x(id bigint, origin_id text, hash text)
      where p.id = x.id`;
    await tx`
      update contracts c
      set target_id = x.origin_id, target_hash = x.hash, last_synced_at = now(), last_run_id = ${page.runId}::uuid,
          last_action = case when c.target_id is null then 'create' else 'update' end, updated_at = now()
      from jsonb_to_recordset(${done}::jsonb) as x(id bigint, origin_id text, hash text)
      where c.task_id = ${page.taskId} and c.origin_id = x.origin_id`;
  });
  return { exported: pending.length, written };
}
