// Synchronisation reads the connector space rather than the source: this step stages the next
// page of connector-space objects (in change order) for map → diff → upsert.
import type { Sql } from '../../db/client';
import { analyzeAsTablesGrow, IMPORT_TABLES } from '../statistics';
import type { TaskContext } from '../task-context';
import type { PageRef } from './import-page';

export interface StageSpacePageResult {
  staged: number;
  deleted: number;
  /** Largest change sequence on this page (null when empty): the synchronisation watermark. */
  lastSeq: string | null;
  /** Change sequence to continue after; null when this page was the last. */
  nextCursor: string | null;
}

export async function stageSpacePage(
  sql: Sql,
  ctx: TaskContext,
  args: PageRef & { afterSeq: number; pageSize: number },
): Promise<StageSpacePageResult> {
  const [result] = await sql<{ n: number; deleted: number; last: string | null }[]>`
    with picked as (
      select external_id, hash, deleted_at, change_seq from connector_space_objects
      where connected_system_id = ${ctx.source.id} and entity = ${ctx.spaceEntity} and change_seq > ${args.afterSeq}
      order by change_seq
      limit ${args.pageSize}
    ), staged as (
      insert into sync_staging (run_id, task_id, external_id, page_no, origin_hash, space_action)
      select ${args.runId}::uuid, ${args.taskId}, external_id, ${args.pageNo},
             case when deleted_at is null then hash end, case when deleted_at is null then null else 'delete' end
      from picked
      on conflict (run_id, task_id, external_id) do nothing
    )
    select count(*)::int as n, (count(*) filter (where deleted_at is not null))::int as deleted, max(change_seq)::text as last
    from picked`;
  const { n, deleted, last } = result!;
  await analyzeAsTablesGrow(sql, args.pageNo, IMPORT_TABLES);
  return { staged: n - deleted, deleted, lastSeq: last, nextCursor: n < args.pageSize || last === null ? null : last };
}
