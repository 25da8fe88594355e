// Step 4: write the page's changes into the register and the contracts, and queue pending
// exports. Each is one set-based statement; the contract's target hash is left for the export
// to set, so a contract never claims a write that did not happen.
import type { Sql } from '../../db/client';
import type { TaskContext } from '../task-context';
import type { PageRef } from './import-page';

export async function upsertPage(sql: Sql, ctx: TaskContext, page: PageRef): Promise<{ queued: number }> {
  return sql.begin(async (tx) => {
    const pageRows = tx`s.run_id = ${page.runId}::uuid and s.task_id = ${page.taskId} and s.page_no = ${page.pageNo} and s.action in ('create', 'update')`;
    await tx`
      insert into register_objects (workspace_id, object_type, external_key, data, hash, last_run_id)
      select ${ctx.workspaceId}, ${ctx.targetEntity}, s.external_id, s.mapped, s.target_hash, ${page.runId}::uuid
      from sync_staging s where ${pageRows}
      on conflict (workspace_id, object_type, external_key) do update
        set data = excluded.data, hash = excluded.hash, last_run_id = excluded.last_run_id, updated_at = now()
        where register_objects.hash is distinct from excluded.hash`;
    await tx`
      insert into contracts (task_id, origin_id, register_object_id, origin_hash, last_seen_at, last_run_id)
      select s.task_id, s.external_id, r.id, s.origin_hash, now(), ${page.runId}::uuid
      from sync_staging s
      join register_objects r on r.workspace_id = ${ctx.workspaceId} and r.object_type = ${ctx.targetEntity} and r.external_key = s.external_id
      where ${pageRows}
      on conflict (task_id, origin_id) do update
        set register_object_id = excluded.register_object_id, origin_hash = excluded.origin_hash,
            last_seen_at = excluded.last_seen_at, last_run_id = excluded.last_run_id, updated_at = now()
        where contracts.origin_hash is distinct from excluded.origin_hash
           or contracts.register_object_id is distinct from excluded.register_object_id`;
    const queued = await tx`
      insert into pending_exports (run_id, task_id, page_no, origin_id, register_object_id, action)
      select s.run_id, s.task_id, s.page_no, s.external_id, r.id, s.action
      from sync_staging s
      join register_objects r on r.workspace_id = ${ctx.workspaceId} and r.object_type = ${ctx.targetEntity} and r.external_key = s.external_id
      where ${pageRows}
      on conflict (run_id, task_id, origin_id) do nothing`;
    return { queued: queued.count };
  });
}
