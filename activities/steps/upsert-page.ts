// Step 4: write the page's changes into the register and the contracts, and queue pending
// exports — one set-based statement each. The contract's target hash is left for the export to
// set, so a contract never claims a write that did not happen. A deletion cancels whatever was
// still queued for the object; if nothing ever reached the target, nothing is queued at all.
//
// When the run exports the page next to a PostgreSQL destination, the page's creates and updates
// skip the queue: they are written to the destination inside this step's transaction, and the
// contracts record the write as they are upserted. A crash before the commit rolls everything
// back; the retry merges the same rows again. Only what the destination refused (Failed at once)
// or a write that failed as a whole (queued for the export step's retries) goes to the queue.
import { Context } from '@temporalio/activity';
import type { Sql } from '../../db/client';
import type { ConnectionPools } from '../connectors/postgres-destination';
import type { RunLogWriter } from '../run-logs';
import type { TaskContext } from '../task-context';
import type { PageRef } from './import-page';
import { analyzeAsTablesGrow, SYNCHRONISE_TABLES } from '../statistics';
import { contractAwaitingExport, contractRecordingWrite } from './contract-rules';
import { writesAlongsideSynchronisation, writeStagedChanges, type StagedChange } from './export-page';

/** Objects per destination write when the page is written as it synchronises. */
export const DIRECT_WRITE_SLICE = 2_500;

export interface UpsertPageResult {
  /** Exports queued for the export step. */
  queued: number;
  /** Refused by the destination in this step (each logged and its export Failed). */
  refused: number;
  /** Time spent writing the destination. */
  exportMillis: number;
}

export async function upsertPage(
  sql: Sql,
  logs: RunLogWriter,
  ctx: TaskContext,
  page: PageRef,
  exportFollows = false,
  /** Given with exportFollows: the destination may be written by this step. */
  pools?: ConnectionPools,
): Promise<UpsertPageResult> {
  let refused: { origin_id: string; error: string }[] = [];
  const logged = await sql.begin(async (tx) => {
    const ofPage = tx`s.run_id = ${page.runId}::uuid and s.task_id = ${page.taskId} and s.page_no = ${page.pageNo}`;
    const changes = tx`${ofPage} and s.action in ('create', 'update')`;
    const deletions = tx`${ofPage} and s.action = 'delete'`;
    const registerKey = tx`r.workspace_id = ${ctx.workspaceId} and r.object_type = ${ctx.targetEntity} and r.external_key = s.external_id`;

    await tx`
      insert into register_objects (workspace_id, object_type, external_key, data, hash, last_run_id)
      select ${ctx.workspaceId}, ${ctx.targetEntity}, s.external_id, s.mapped, s.target_hash, ${page.runId}::uuid
      from sync_staging s where ${changes}
      on conflict (workspace_id, object_type, external_key) do update
        set data = excluded.data, hash = excluded.hash, last_run_id = excluded.last_run_id, updated_at = now()
        where register_objects.hash is distinct from excluded.hash`;
    // The register id is looked up per row (a correlated subquery is never turned into a join):
    // the plan stays an index lookup whatever the statistics of the freshly filled register say.
    const registerId = tx`(select r.id from register_objects r where ${registerKey})`;

    let written = false;
    let exportMillis = 0;
    if (exportFollows && pools && writesAlongsideSynchronisation(ctx)) {
      // In slices, so a page's mapped objects are never all in the worker's memory at once.
      const keys = (await tx<{ external_id: string }[]>`select s.external_id from sync_staging s where ${changes} order by s.external_id`).map((r) => r.external_id);
      const t0 = performance.now();
      try {
        for (let at = 0; at < keys.length; at += DIRECT_WRITE_SLICE) {
          const slice = keys.slice(at, at + DIRECT_WRITE_SLICE);
          const changed = await tx<StagedChange[]>`
            select s.external_id as origin_id, s.action, s.mapped as data, s.target_hash as hash from sync_staging s
            where s.run_id = ${page.runId}::uuid and s.task_id = ${page.taskId} and s.external_id = any(${slice}::text[])`;
          refused.push(...(await writeStagedChanges(pools, ctx, page.runId, changed)));
          Context.current().heartbeat();
        }
        written = true;
      } catch {
        // The write failed as a whole: the changes are queued, and the export step tries them
        // again with its backoff and attempt count (slices already merged are merged again).
        refused = [];
      }
      exportMillis = performance.now() - t0;
    }
    const refusedIds = refused.map((r) => r.origin_id);

    if (written) {
      // The contract records the write it follows; a refused object's contract keeps what the
      // target held before (nothing, for a new one), so the next run tries it again.
      const reached = tx`s.external_id <> all(${refusedIds}::text[])`;
      await tx`
        insert into contracts (task_id, origin_id, register_object_id, origin_hash, last_seen_at, last_run_id,
                               target_id, target_hash, synced_origin_hash, last_synced_at, last_action)
        select s.task_id, s.external_id, ${registerId}, s.origin_hash, now(), ${page.runId}::uuid,
               case when ${reached} then s.external_id end, case when ${reached} then s.target_hash end,
               case when ${reached} then s.origin_hash end, case when ${reached} then now() end,
               case when ${reached} then 'create' end
        from sync_staging s
        where ${changes}
        ${contractRecordingWrite(tx)}`;
      if (refused.length > 0) {
        await tx`
          insert into pending_exports (run_id, task_id, page_no, origin_id, register_object_id, action, status, attempts, error)
          select s.run_id, s.task_id, s.page_no, s.external_id, ${registerId}, s.action, 'Failed', 1, x.error
          from jsonb_to_recordset(${JSON.stringify(refused)}::jsonb) as x(origin_id text, error text)
          join sync_staging s on s.run_id = ${page.runId}::uuid and s.task_id = ${page.taskId} and s.external_id = x.origin_id
          on conflict (run_id, task_id, origin_id) do nothing`;
      }
    } else {
      await tx`
        insert into contracts (task_id, origin_id, register_object_id, origin_hash, last_seen_at, last_run_id)
        select s.task_id, s.external_id, ${registerId}, s.origin_hash, now(), ${page.runId}::uuid
        from sync_staging s
        where ${changes}
        ${contractAwaitingExport(tx)}`;
    }
    const queued = written
      ? { count: 0 }
      : await tx`
      insert into pending_exports (run_id, task_id, page_no, origin_id, register_object_id, action)
      select s.run_id, s.task_id, s.page_no, s.external_id, ${registerId}, s.action
      from sync_staging s
      where ${changes}
      on conflict (run_id, task_id, origin_id) do nothing`;

    // Deletions: drop what is still queued for the object, then queue a delete only where the
    // target holds it; a contract whose object never reached the target simply goes. The page's
    // deleted keys are read first: most pages have none, and with the keys in hand every statement
    // is an index lookup, whatever the (often stale) statistics of the staging table suggest.
    const deleted = (await tx<{ external_id: string }[]>`select s.external_id from sync_staging s where ${deletions}`).map((r) => r.external_id);
    let queuedDeletes = 0;
    if (deleted.length > 0) {
      const keys = tx`any(${deleted}::text[])`;
      await tx`
        delete from pending_exports p
        where p.task_id = ${page.taskId} and p.origin_id = ${keys} and p.status = 'Pending' and p.action <> 'delete'`;
      const inserted = await tx`
        insert into pending_exports (run_id, task_id, page_no, origin_id, register_object_id, action)
        select ${page.runId}::uuid, c.task_id, ${page.pageNo}, c.origin_id, null, 'delete'
        from contracts c where c.task_id = ${page.taskId} and c.origin_id = ${keys} and c.target_id is not null
        on conflict (run_id, task_id, origin_id) do nothing`;
      queuedDeletes = inserted.count;
      await tx`delete from contracts c where c.task_id = ${page.taskId} and c.origin_id = ${keys} and c.target_id is null`;
      const gone = await tx<{ id: number }[]>`
        delete from register_objects r
        where r.workspace_id = ${ctx.workspaceId} and r.object_type = ${ctx.targetEntity} and r.external_key = ${keys}
        returning r.id`;
      // Contracts (of any task) that pointed at them no longer do: one pass over the contracts.
      if (gone.length > 0) {
        await tx`update contracts set register_object_id = null where register_object_id = any(${gone.map((g) => g.id)}::bigint[])`;
      }
    }

    // The page's outcomes go to the run log straight from the staging rows, never through the worker.
    // When this run exports the page next, a create or update names its target row at once: the
    // destinations key rows by origin id (a refused export adds its own 'failed' entry).
    await tx`
      insert into run_logs (run_id, task_id, origin_id, target_id, action, expires_at)
      select s.run_id, s.task_id, s.external_id,
             case when ${exportFollows}::boolean and s.action <> 'delete' and s.external_id <> all(${refusedIds}::text[]) then s.external_id end,
             case s.action when 'create' then 'created' when 'update' then 'updated' else 'deleted' end,
             now() + make_interval(days => ${logs.retention.successDays}::int)
      from sync_staging s where ${ofPage} and s.action in ('create', 'update', 'delete')
      on conflict (run_id, task_id, origin_id, action) do nothing`;
    return { queued: queued.count + queuedDeletes, exportMillis };
  });
  if (refused.length > 0) {
    await logs.write(page.runId, page.taskId, refused.map((r) => ({ originId: r.origin_id, action: 'failed' as const, error: r.error })));
  }
  await analyzeAsTablesGrow(sql, page.pageNo, SYNCHRONISE_TABLES);
  return { queued: logged.queued, refused: refused.length, exportMillis: Math.round(logged.exportMillis) };
}
