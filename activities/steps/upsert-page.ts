// Step 4: write the page's changes into the register and the contracts, and queue pending
// exports — one set-based statement each. The contract's target hash is left for the export to
// set, so a contract never claims a write that did not happen. A deletion cancels whatever was
// still queued for the object; if nothing ever reached the target, nothing is queued at all.
import type { Sql } from '../../db/client';
import type { RunLogWriter } from '../run-logs';
import type { TaskContext } from '../task-context';
import type { PageRef } from './import-page';
import { analyzeAsTablesGrow, SYNCHRONISE_TABLES } from '../statistics';

export async function upsertPage(sql: Sql, logs: RunLogWriter, ctx: TaskContext, page: PageRef, exportFollows = false): Promise<{ queued: number }> {
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
    await tx`
      insert into contracts (task_id, origin_id, register_object_id, origin_hash, last_seen_at, last_run_id)
      select s.task_id, s.external_id, ${registerId}, s.origin_hash, now(), ${page.runId}::uuid
      from sync_staging s
      where ${changes}
      on conflict (task_id, origin_id) do update
        set register_object_id = excluded.register_object_id, origin_hash = excluded.origin_hash,
            last_seen_at = excluded.last_seen_at, last_run_id = excluded.last_run_id, updated_at = now()
        where contracts.origin_hash is distinct from excluded.origin_hash
           or contracts.register_object_id is distinct from excluded.register_object_id`;
    const queued = await tx`
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
      await tx`
        delete from register_objects r
        where r.workspace_id = ${ctx.workspaceId} and r.object_type = ${ctx.targetEntity} and r.external_key = ${keys}`;
    }

    // The page's outcomes go to the run log straight from the staging rows, never through the worker.
    // When this run exports the page next, a create or update names its target row at once: the
    // destinations key rows by origin id (a refused export adds its own 'failed' entry).
    await tx`
      insert into run_logs (run_id, task_id, origin_id, target_id, action, expires_at)
      select s.run_id, s.task_id, s.external_id,
             case when ${exportFollows}::boolean and s.action <> 'delete' then s.external_id end,
             case s.action when 'create' then 'created' when 'update' then 'updated' else 'deleted' end,
             now() + make_interval(days => ${logs.retention.successDays}::int)
      from sync_staging s where ${ofPage} and s.action in ('create', 'update', 'delete')
      on conflict (run_id, task_id, origin_id, action) do nothing`;
    return { queued: queued.count + queuedDeletes };
  });
  await analyzeAsTablesGrow(sql, page.pageNo, SYNCHRONISE_TABLES);

  return { queued: logged.queued };
}
