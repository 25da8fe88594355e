// Step 3: decide what each staged object needs on the target by comparing its mapped hash with
// what its contract says the target holds; a source deletion needs a delete only if a contract
// exists. Objects the task's filter skipped (marked by the map step) need nothing.
import type { Sql } from '../../db/client';
import type { PageRef } from './import-page';

export interface DiffPageResult {
  created: number;
  changed: number;
  unchanged: number;
  deleted: number;
}

export async function diffPage(sql: Sql, page: PageRef): Promise<DiffPageResult> {
  // Contracts only change in upsert/export, after this step, so a retry computes the same actions.
  // A correlated lookup per staged row (unique index on contracts) keeps the plan independent of
  // table statistics, which are often stale on freshly filled staging tables.
  const rows = await sql<{ action: 'create' | 'update' | 'unchanged' | 'delete' | null; n: number }[]>`
    with marked as (
      update sync_staging s
      set action = case
        when s.origin_hash is null then (
          select 'delete' from contracts c where c.task_id = s.task_id and c.origin_id = s.external_id)
        else coalesce((
          select case when c.target_id is null then 'create'
                      when c.target_hash is distinct from s.target_hash then 'update'
                      else 'unchanged' end
          from contracts c where c.task_id = s.task_id and c.origin_id = s.external_id), 'create')
        end
      where s.run_id = ${page.runId}::uuid and s.task_id = ${page.taskId} and s.page_no = ${page.pageNo}
        and s.error is null and s.action is distinct from 'skipped'
      returning s.action
    )
    select action, count(*)::int as n from marked group by action`;
  const count = (action: string) => rows.find((r) => r.action === action)?.n ?? 0;
  return { created: count('create'), changed: count('update'), unchanged: count('unchanged'), deleted: count('delete') };
}
