// After a full import: objects of the connector space the source no longer returned (no page of
// the run recorded their keys) are marked
// deleted and staged (as deletions) for the synchronise steps. Only called when the import
// returned at least one object, so an empty or failed listing never deletes everything.
import type { Sql } from '../../db/client';
import { analyzeChangedTables } from '../statistics';
import type { TaskContext } from '../task-context';
import type { PageRef } from './import-page';

export async function detectDeletions(sql: Sql, ctx: TaskContext, args: PageRef & { dryRun: boolean }): Promise<{ deleted: number }> {
  // An object this run wrote was on one of its pages. When it wrote every live object of the
  // entity (a first run's), none can be unseen, and the analyze and the pass over the entity
  // (about 1.5 s for a million objects) are spared. A retry after the marking committed still
  // reports what it staged.
  if (await olderObjectsLive(sql, ctx, args.runId)) await markUnseen(sql, ctx, args);
  // Counted from staging so that a retry reports the same number.
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from sync_staging
    where run_id = ${args.runId}::uuid and task_id = ${args.taskId} and page_no = ${args.pageNo} and space_action = 'delete'`;
  return { deleted: row!.n };
}

/**
 * Whether a live object of the entity was last written before this run. Every write of the
 * connector space draws a new change_seq with its run's id (one run of a connected system at a
 * time), so the live object of the lowest change_seq tells, through the change index.
 */
async function olderObjectsLive(sql: Sql, ctx: TaskContext, runId: string): Promise<boolean> {
  const [oldest] = await sql<{ older: boolean }[]>`
    select c.last_changed_run_id is distinct from ${runId}::uuid as older from connector_space_objects c
    where c.connected_system_id = ${ctx.source.id} and c.entity = ${ctx.spaceEntity} and c.deleted_at is null
    order by c.change_seq limit 1`;
  return oldest?.older ?? false;
}

/** Marks the entity's live objects that no page of the run recorded as deleted, and stages their deletions. */
async function markUnseen(sql: Sql, ctx: TaskContext, args: PageRef & { dryRun: boolean }): Promise<void> {
  // The connector space may just have been filled by the import; without fresh statistics the
  // planner misjudges its size.
  await analyzeChangedTables(sql, ['connector_space_objects', 'sync_staging'], 0.1);
  await sql.begin(async (tx) => {
    // The keys seen by the run's pages (a million at most a few tens of megabytes) are hashed
    // once, and the entity's objects are checked against them in one pass.
    await tx`set local work_mem = '128MB'`;
    const unseen = tx`
      c.connected_system_id = ${ctx.source.id} and c.entity = ${ctx.spaceEntity} and c.deleted_at is null
      and not exists (
        select 1 from sync_seen_pages p cross join unnest(p.external_ids) as seen(external_id)
        where p.run_id = ${args.runId}::uuid and p.task_id = ${args.taskId} and seen.external_id = c.external_id)`;
    if (args.dryRun) {
      await tx`
        insert into sync_staging (run_id, task_id, external_id, page_no, origin_hash, space_action)
        select ${args.runId}::uuid, ${args.taskId}, c.external_id, ${args.pageNo}, null, 'delete'
        from connector_space_objects c where ${unseen}
        on conflict (run_id, task_id, external_id) do nothing`;
    } else {
      await tx`
        with gone as (
          update connector_space_objects c
          set deleted_at = now(), change_seq = nextval('connector_space_change_seq'), last_changed_run_id = ${args.runId}::uuid, updated_at = now()
          where ${unseen}
          returning c.external_id
        )
        insert into sync_staging (run_id, task_id, external_id, page_no, origin_hash, space_action)
        select ${args.runId}::uuid, ${args.taskId}, external_id, ${args.pageNo}, null, 'delete' from gone
        on conflict (run_id, task_id, external_id) do nothing`;
    }
  });
}
