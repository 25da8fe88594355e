// Step 3: decide what each staged object needs on the target by comparing its mapped hash with
// what its contract says the target holds; a source deletion needs a delete only if a contract
// exists. Objects already decided need nothing: settled by the import (not staged, counted
// unchanged), left out by the task's filter ('skipped') or refused by the mapping ('failed').
import type { Sql } from '../../db/client';
import type { TaskContext } from '../task-context';
import { actionByContract, settledContract } from './contract-rules';
import type { PageRef } from './import-page';

export interface DiffPageResult {
  created: number;
  changed: number;
  unchanged: number;
  deleted: number;
  /** Objects the mapping refused (mapped by the import or the map step). */
  failed: number;
}

export async function diffPage(sql: Sql, ctx: TaskContext, page: PageRef): Promise<DiffPageResult> {
  return sql.begin(async (tx) => {
    const ofPage = tx`s.run_id = ${page.runId}::uuid and s.task_id = ${page.taskId} and s.page_no = ${page.pageNo}`;
    // Contracts only change in upsert/export, after this step, so a retry decides the same.
    // A correlated lookup per staged row (unique index on contracts) keeps the plan independent of
    // table statistics, which are often stale on freshly filled staging tables.
    await tx`
      update sync_staging s
      set action = case
        when s.origin_hash is null then (
          select 'delete' from contracts c where c.task_id = s.task_id and c.origin_id = s.external_id)
        else ${actionByContract(tx, tx`s.task_id`, tx`s.external_id`, tx`s.target_hash`)}
        end
      where ${ofPage} and s.action is null`;
    if (!ctx.dryRun) {
      // What the page decides is the object's current state: exports of it still open from earlier
      // runs are obsolete (a queued delete of an object that came back must not land, nor an old
      // update after this page's). Most tasks have none open; the check is one index probe.
      const [open] = await tx<{ open: boolean }[]>`
        select exists (select 1 from pending_exports where task_id = ${page.taskId} and status in ('Pending', 'Executing')) as open`;
      if (open!.open) {
        await tx`
          delete from pending_exports p
          where p.task_id = ${page.taskId} and p.status in ('Pending', 'Executing') and p.run_id <> ${page.runId}::uuid
            and p.origin_id in (select s.external_id from sync_staging s where ${ofPage} and s.action in ('create', 'update', 'unchanged'))`;
      }
      // An object found unchanged was mapped afresh to what the target holds: its contract now
      // says so, and the next import settles it without mapping it again.
      // Objects the import settled were never mapped (no mapped value): their contracts are not
      // looked at again. The keys are read first (most pages have none), so the update is a
      // lookup per key whatever the statistics say.
      const confirmed = await tx<{ external_id: string; origin_hash: string }[]>`
        select s.external_id, s.origin_hash from sync_staging s
        where ${ofPage} and s.action = 'unchanged' and s.mapped is not null
          and (select ${settledContract(tx, ctx, tx`s.origin_hash`)} from contracts k where k.task_id = s.task_id and k.origin_id = s.external_id) is not true`;
      if (confirmed.length > 0) {
        await tx`
          update contracts k
          set origin_hash = x.origin_hash, synced_origin_hash = x.origin_hash, last_synced_at = now(), updated_at = now()
          from unnest(${confirmed.map((c) => c.external_id)}::text[], ${confirmed.map((c) => c.origin_hash)}::text[]) as x(external_id, origin_hash)
          where k.task_id = ${page.taskId} and k.origin_id = x.external_id`;
      }
    }
    // Counted over the whole page, so a retry reports the same: the objects the import settled
    // are the page's recorded keys that were not staged.
    const rows = await tx<{ action: string; n: number }[]>`
      select s.action, count(*)::int as n from sync_staging s where ${ofPage} group by s.action`;
    const count = (action: string) => rows.find((r) => r.action === action)?.n ?? 0;
    const [seen] = await tx<{ n: number }[]>`
      select coalesce(sum(cardinality(p.external_ids)), 0)::int as n from sync_seen_pages p
      where p.run_id = ${page.runId}::uuid and p.task_id = ${page.taskId} and p.page_no = ${page.pageNo}`;
    const settled = seen!.n === 0 ? 0 : seen!.n - rows.reduce((sum, r) => sum + r.n, 0);
    return { created: count('create'), changed: count('update'), unchanged: count('unchanged') + settled, deleted: count('delete'), failed: count('failed') };
  });
}
